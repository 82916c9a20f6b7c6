/**
 * Which changes of a tag map move, open or close a write path to a machine: the changes that need
 * `flows.write` (an integrator) on top of `tagmaps.write` (a technician). Pure; the admin PUT route
 * compares the tags of the deployed map with those of the edited one (templates expanded, so a
 * template row, an instance's base address or NodeId prefix counts like a row).
 *
 * A tag is writable when its access is read-write; write nodes find it by its exact name. Gated:
 * - a tag made writable, or a writable tag added (also under a new name: a rename is a remove and an add);
 * - a writable tag removed, renamed or made read-only (write nodes that use it stop or fail);
 * - on a writable tag, a change of what decides where and what a write lands: the device, the address
 *   (unit id, register, bit, NodeId), the data type, the length and the byte order (how many registers a
 *   value spans and in which order), and the scaling (the raw value written for an engineering value).
 * Everything on read-only tags, and unit, dead band and description on writable ones, stays free.
 */
import { formatAddress } from './address';
import type { Tag } from './tag';

export interface GatedChange {
  readonly tag: string;
  /** `made writable`, `address hr:10 -> hr:12` ... */
  readonly change: string;
  /** One line for messages: `plant/line1/filler/setpoint: address hr:10 -> hr:12`. */
  readonly text: string;
}

const writable = (t: Tag | undefined): boolean => t?.access === 'read-write';

/** The parts of a writable tag that decide where and what a write lands, each as readable text. */
function target(t: Tag): Record<string, string> {
  return {
    device: t.device ?? '',
    address: formatAddress(t.address),
    dataType: t.dataType,
    length: t.length === undefined ? '' : String(t.length),
    order: t.order,
    scaling: t.scaling === undefined ? 'none' : `gain ${t.scaling.gain}, offset ${t.scaling.offset}`,
  };
}

const shown = (v: string): string => (v === '' ? '(none)' : v);

/** The gated changes from `before` to `after`, in `before` order then the added tags in `after` order. */
export function writeTargetChanges(before: readonly Tag[], after: readonly Tag[]): GatedChange[] {
  const old = new Map(before.map((t) => [t.name, t]));
  const now = new Map(after.map((t) => [t.name, t]));
  const out: GatedChange[] = [];
  const add = (tag: string, change: string): void => {
    out.push({ tag, change, text: `${tag}: ${change}` });
  };
  for (const b of before) {
    const a = now.get(b.name);
    if (writable(b)) {
      if (a === undefined) add(b.name, 'writable tag removed or renamed');
      else if (!writable(a)) add(b.name, 'made read-only');
      else {
        const was = target(b);
        const is = target(a);
        const moved = Object.keys(was).filter((k) => was[k] !== is[k]);
        if (moved.length > 0) add(b.name, moved.map((k) => `${k} ${shown(was[k] ?? '')} -> ${shown(is[k] ?? '')}`).join(', '));
      }
    } else if (writable(a)) add(b.name, `made writable (${formatAddress(a!.address)})`);
  }
  for (const a of after) {
    if (!old.has(a.name) && writable(a)) add(a.name, `writable tag added (${formatAddress(a.address)}${a.device ? ` on ${a.device}` : ''})`);
  }
  return out;
}
