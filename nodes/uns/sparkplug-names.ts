/**
 * Where a tag lives in Sparkplug B: group and edge node are the hub's (set on the node), the device is the
 * machine of the ISA-95 name and the metric the rest of it, so `site/area/line/filler/count` is metric
 * `count` of device `filler`. `deviceLevel` says which name segment is the device (4 = the machine of
 * site/area/line/machine/...; 0 = no devices, every tag a node metric under its full name). Names with no
 * segment after the device level are node metrics under their full name. No Node-RED here.
 */

export const NAMESPACE = 'spBv1.0';

export interface SparkplugIds {
  readonly group: string;
  readonly edgeNode: string;
  readonly deviceLevel: number;
}

/** Why `id` is no valid group, edge node or device id ('' when it is). */
function idProblem(id: string): string {
  if (id === '') return 'is empty';
  if (/[/+#]/.test(id)) return 'contains /, + or #, which Sparkplug does not allow in an id';
  return '';
}

export function checkIds(ids: SparkplugIds): SparkplugIds {
  const group = ids.group.trim();
  const edgeNode = ids.edgeNode.trim();
  const g = idProblem(group);
  if (g) throw new Error(`group id "${group}" ${g}`);
  const e = idProblem(edgeNode);
  if (e) throw new Error(`edge node id "${edgeNode}" ${e}`);
  if (!Number.isInteger(ids.deviceLevel) || ids.deviceLevel < 0 || ids.deviceLevel > 16) throw new Error(`device level must be a whole number from 0 to 16, not ${ids.deviceLevel}`);
  return { group, edgeNode, deviceLevel: ids.deviceLevel };
}

export interface MetricAddress {
  /** '' = a metric of the edge node itself. */
  readonly device: string;
  readonly metric: string;
}

export function metricAddress(name: string, deviceLevel: number): MetricAddress {
  if (deviceLevel === 0) return { device: '', metric: name };
  const parts = name.split('/');
  if (parts.length <= deviceLevel) return { device: '', metric: name };
  const device = parts[deviceLevel - 1];
  if (idProblem(device)) return { device: '', metric: name };
  return { device, metric: parts.slice(deviceLevel).join('/') };
}

export type MessageType = 'NBIRTH' | 'NDEATH' | 'NDATA' | 'NCMD' | 'DBIRTH' | 'DDEATH' | 'DDATA' | 'DCMD';

export function sparkplugTopic(ids: SparkplugIds, type: MessageType, device = ''): string {
  return `${NAMESPACE}/${ids.group}/${type}/${ids.edgeNode}${device ? `/${device}` : ''}`;
}

export interface ParsedTopic {
  readonly group: string;
  readonly type: MessageType;
  readonly edgeNode: string;
  readonly device: string;
}

const TYPES = new Set(['NBIRTH', 'NDEATH', 'NDATA', 'NCMD', 'DBIRTH', 'DDEATH', 'DDATA', 'DCMD']);

/** A Sparkplug topic's parts, or undefined for another topic (STATE, another namespace). */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const p = topic.split('/');
  if (p[0] !== NAMESPACE || (p.length !== 4 && p.length !== 5) || !TYPES.has(p[2])) return undefined;
  return { group: p[1], type: p[2] as MessageType, edgeNode: p[3], device: p[4] ?? '' };
}
