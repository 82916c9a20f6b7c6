/**
 * fh-oee: the OEE of one machine per shift, from its live tags. Thin adapter around the pure engine
 * (engine.ts): it maps tag names to roles (input.ts), moves time on with a clock that follows the
 * sources (clock.ts), sends figures, events and shift-end records (output.ts), and keeps the engine's
 * state durable in `<userDir>/oee/<node id>.json` (state-file.ts).
 *
 * Why the durable state neither loses nor double counts a part: the state file is written atomically
 * and holds, in one snapshot, the parts counted AND the last reading of each absolute counter they
 * were counted up to. After a restart, redeploy or kill the engine goes on from that snapshot, and
 * the next reading is compared with the saved last reading: every part made since the snapshot
 * (while the hub was writing, stopped or down) is counted once, at that reading. (Increments cannot
 * be recovered that way: with increments, parts counted after the last save and before a kill are
 * lost. Use absolute counters where exact counts matter.)
 */
import os from 'node:os';
import path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { DEFAULTS } from './config';
import { Engine } from './engine';
import type { Notice } from './events';
import type { StopView } from './figures';
import { SourceClock } from './clock';
import { CONTROL_TOPICS, describeValue, parseMessage } from './input';
import type { Sample } from './input';
import type { NodeSetup, OeeNodeProps } from './node-config';
import { readNodeProps } from './node-config';
import { registerOeeAdmin } from './oee-admin';
import type { OutMessage } from './output';
import { figuresMessage, idleMessage, noticeMessage, percent } from './output';
import type { NodeState } from './state-file';
import { STATE_FORMAT, STATE_VERSION, StateFile, StateSaver } from './state-file';
import type { MachineState } from './states';
import type { ShiftCalendarNode } from './shift-calendar';
import { originOf } from '../shared/audit-log';
import { getConfigNode } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { guarded, onInput } from '../shared/guard';

export interface OeeDef extends NodeDef, Omit<OeeNodeProps, 'name'> {
  calendar: string;
}

/** Status texts (English); locales/en-US/oee.json holds the same under status.*. */
const STATUS = {
  config: 'config: __error__',
  waiting: 'waiting for the first sample',
  shift: '__state__ · OEE __oee__ · __shift__',
  noShift: '__state__ · no shift',
  error: '__error__',
  unknownTopic: 'unknown topic "__topic__" ignored',
} as const;

/** Topics warned about are remembered up to this many (a flow sending random topics must not grow memory). */
const MAX_WARNED_TOPICS = 100;
/** Mapped tags named in the warning before "and N more". */
const LISTED_TAGS = 12;

const STATE_LOOK: Record<MachineState, { fill: 'green' | 'yellow' | 'red' | 'blue' | 'grey'; shape: 'dot' | 'ring' }> = {
  running: { fill: 'green', shape: 'dot' },
  idle: { fill: 'yellow', shape: 'dot' },
  down: { fill: 'red', shape: 'dot' },
  changeover: { fill: 'blue', shape: 'dot' },
  planned: { fill: 'grey', shape: 'dot' },
  'no-data': { fill: 'grey', shape: 'ring' },
};

/** How long an error stays in the status before the machine's state shows again. */
const ERROR_HOLD_MS = 5_000;

const isTime = (t: unknown): t is number => typeof t === 'number' && Number.isSafeInteger(t) && t >= 0;
const iso = (t: number): string => new Date(t).toISOString();
const days = (ms: number): string => `${(ms / 86_400_000).toFixed(1)} days`;

/** A sample or control message the node refused: the message names the tag and the cause. */
export class OeeInputError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly input: string,
  ) {
    super(message);
    this.name = 'OeeInputError';
  }
}

export default function register(RED: NodeAPI): void {
  registerOeeAdmin(RED);
  RED.nodes.registerType('fh-oee', function (this: Node, def: OeeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = (id: keyof typeof STATUS, vars: Record<string, string> = {}): string => {
      const text = RED._(`fh-oee.status.${id}`, vars);
      // Without the catalog (a runtime that did not load it) Node-RED returns the key: use the English text.
      return (text.endsWith(`status.${id}`) ? STATUS[id].replace(/__(\w+)__/g, (_m, v: string) => vars[v] ?? '') : text).slice(0, 120);
    };
    const stateText = (s: MachineState): string => {
      const text = RED._(`fh-oee.state.${s}`);
      return text.endsWith(`state.${s}`) ? s : text;
    };

    let setup: NodeSetup;
    try {
      const calendar = getConfigNode<ShiftCalendarNode>(RED, def.calendar, 'fh-shift-calendar', 'shift calendar');
      if (calendar.problem !== undefined) throw new Error(calendar.problem);
      const result = readNodeProps(def, calendar.calendar, node.id);
      if (!result.ok) throw new Error(result.issues.join('; '));
      setup = result.setup;
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: t('config', { error: messageOf(err) }) });
      node.error(`configuration: ${messageOf(err)}`);
      return;
    }
    const { machine, mapping, timing } = setup;
    const maxJumpMs = DEFAULTS.maxJumpMs;

    // ---- engine, notices and durable state ----------------------------------------------------

    let closed = false;
    let engine: Engine | null = null;
    let currentStopId: number | null = null;
    const clock = new SourceClock();
    /** Notice messages of the work in progress, per output (2: events, 3: shift end). */
    let events: OutMessage[] = [];
    let ends: OutMessage[] = [];
    let stateChanged = false;
    let newStop = false;
    /** Who is naming a stop right now (the account behind an assign-reason message), for its stop-reason event. */
    let assigner: string | undefined;
    const onNotice = (n: Notice): void => {
      const { output, msg } = noticeMessage(machine, n);
      if (n.kind === 'stop-reason' && assigner !== undefined) msg.user = assigner;
      (output === 2 ? events : ends).push(msg);
      if (n.kind === 'stop-start') {
        currentStopId = n.stop.id;
        newStop = true;
      } else if (n.kind === 'stop-end' && n.stop.id === currentStopId) currentStopId = null;
      else if (n.kind === 'state') stateChanged = true;
    };

    const dir = path.join(RED.settings.userDir ?? path.join(os.homedir(), '.node-red'), 'oee');
    const file = new StateFile(dir, node.id);
    const serialize = (): string | undefined => {
      if (engine === null) return undefined;
      const state: NodeState = { format: STATE_FORMAT, version: STATE_VERSION, node: node.id, machine, savedAt: Date.now(), lagMs: clock.lagMs, engine: engine.toJSON() };
      return JSON.stringify(state);
    };
    let saveError: string | undefined;
    const saver = new StateSaver(file, serialize, timing.saveIntervalMs, (err) => {
      const text = messageOf(err);
      if (text !== saveError) node.error(`${machine}: cannot save the OEE state to ${file.file}: ${text}`);
      saveError = text;
    });

    try {
      const saved = file.load();
      if (saved !== undefined) {
        engine = Engine.fromJSON(saved.engine, { config: setup.engine, onNotice });
        clock.restore(saved.lagMs);
        // The open stop (if any) for the figures output; only once, at start.
        const open = engine.shiftFigures()?.stops.find((s) => s.end === null);
        currentStopId = open?.id ?? null;
        node.log(`${machine}: OEE state restored from ${file.file} (engine time ${iso(engine.time)}, state ${engine.currentState()})`);
      }
    } catch (err) {
      let where = '';
      try {
        where = `; the damaged file is kept as ${file.quarantine()}`;
      } catch {
        // nothing to move
      }
      node.warn(`${machine}: the saved OEE state could not be restored (${messageOf(err)}); starting afresh${where}`);
      engine = null;
    }

    // ---- status --------------------------------------------------------------------------------

    let shown = '';
    let errorUntil = 0;
    let errorTimer: NodeJS.Timeout | undefined;
    let lastOee: string | null = null;
    const show = (s: { fill: string; shape: string; text: string }): void => {
      if (closed || s.text === shown) return;
      shown = s.text;
      node.status(s as Parameters<Node['status']>[0]);
    };
    const refreshStatus = (): void => {
      if (Date.now() < errorUntil) return;
      if (engine === null) {
        show({ fill: 'grey', shape: 'ring', text: t('waiting') });
        return;
      }
      const state = engine.currentState();
      const shift = engine.currentShift();
      const text = shift === null ? t('noShift', { state: stateText(state) }) : t('shift', { state: stateText(state), oee: lastOee ?? '–', shift: shift.name });
      show({ ...STATE_LOOK[state], text });
    };
    const showError = (text: string, fill: 'red' | 'yellow' = 'red'): void => {
      errorUntil = Date.now() + ERROR_HOLD_MS;
      shown = '';
      show({ fill, shape: 'ring', text: fill === 'red' ? t('error', { error: text }) : text });
      clearTimeout(errorTimer);
      errorTimer = setTimeout(
        guarded(node, () => {
          errorUntil = 0;
          refreshStatus();
        }),
        ERROR_HOLD_MS,
      );
    };

    // ---- output 1: figures, on change, at most every reportIntervalMs ------------------------

    let lastReport = -Infinity;
    let reportTimer: NodeJS.Timeout | undefined;
    let reportDirty = false;
    let lastIdle = '';
    const currentStop = (): StopView | null => (engine !== null && currentStopId !== null ? (engine.stop(currentStopId) ?? null) : null);
    /** The figures message now; `withStops` adds the shift's stop list (for report requests). */
    const figures = (withStops: boolean): OutMessage => {
      if (engine === null) return idleMessage(machine, 'no-data', null);
      const shift = engine.currentShift();
      const f = shift === null ? null : engine.shiftFigures(shift, { stops: withStops });
      if (f === null) return idleMessage(machine, engine.currentState(), engine.time);
      lastOee = percent(f.oee);
      const msg = figuresMessage(machine, engine.currentState(), f, engine.time, currentStop());
      if (withStops) (msg.payload as Record<string, unknown>).stops = f.stops;
      return msg;
    };
    const report = (): void => {
      if (closed || !reportDirty) return;
      reportDirty = false;
      lastReport = Date.now();
      const msg = figures(false);
      const p = msg.payload as { shift: unknown; state: string };
      // Between shifts only a change of state is news.
      const idle = p.shift === null ? `${p.state}` : '';
      if (idle === '' || idle !== lastIdle) void emit([msg, null, null], (msgs) => node.send(msgs), false);
      lastIdle = idle;
      refreshStatus();
    };
    const reportSoon = (): void => {
      reportDirty = true;
      if (reportTimer !== undefined) return;
      const wait = lastReport + timing.reportIntervalMs - Date.now();
      if (wait <= 0) report();
      else
        reportTimer = setTimeout(
          guarded(node, () => {
            reportTimer = undefined;
            report();
          }),
          wait,
        );
    };

    // Everything goes out in order. A batch that announces a new stop id is written to disk first
    // (write-ahead), and figures (which name the open stop, and list the stops on a report request)
    // wait behind it, so that after a crash no stop id that went out is given to another stop.
    // Returns the pending send, or undefined when the messages went out at once.
    let outgoing: Promise<void> | undefined;
    const emit = (out: (NodeMessage | NodeMessage[] | null)[], send: (msgs: (NodeMessage | NodeMessage[] | null)[]) => void, durable: boolean): Promise<void> | undefined => {
      if (!durable && outgoing === undefined) {
        send(out);
        return undefined;
      }
      const before = outgoing ?? Promise.resolve();
      const written = durable ? saver.saveNow() : Promise.resolve();
      const p: Promise<void> = Promise.all([before, written])
        .then(() => send(out))
        .catch((err: unknown) => node.error(`${machine}: cannot send events: ${messageOf(err)}`));
      outgoing = p;
      void p.finally(() => {
        if (outgoing === p) outgoing = undefined;
      });
      return p;
    };

    /** After the engine changed: notices out, the state saved soon, figures soon. */
    const settle = (send: (msgs: (NodeMessage | NodeMessage[] | null)[]) => void, changed: boolean): void => {
      if (events.length > 0 || ends.length > 0) {
        const out = [null, events.length > 0 ? events : null, ends.length > 0 ? ends : null];
        events = [];
        ends = [];
        const durable = newStop;
        newStop = false;
        void emit(out, send, durable);
        changed = true;
      }
      if (!changed) return;
      saver.changed();
      reportSoon();
      if (stateChanged) {
        stateChanged = false;
        refreshStatus();
      }
    };

    // ---- input ---------------------------------------------------------------------------------

    // A mistyped topic is ignored with a word: a warning status each time, a log line once per topic.
    const warnedTopics = new Set<string>();
    const warnUnknownTopic = (topic: string): void => {
      const shortTopic = topic.length > 60 ? `${topic.slice(0, 60)}...` : topic;
      showError(t('unknownTopic', { topic: shortTopic }), 'yellow');
      if (warnedTopics.has(topic) || warnedTopics.size >= MAX_WARNED_TOPICS) return;
      warnedTopics.add(topic);
      const tags = [...mapping.roles].map(([tag, role]) => `${tag} (${role})`);
      const listed = tags.length > LISTED_TAGS ? `${tags.slice(0, LISTED_TAGS).join(', ')} and ${tags.length - LISTED_TAGS} more` : tags.join(', ');
      node.warn(
        `${machine}: topic "${shortTopic}" is not a tag this node maps nor a control topic; message ignored (warned once per topic). ` +
          `Accepted: ${listed || 'no mapped tags'}; control topics ${CONTROL_TOPICS.join(', ')}; or one scan object in msg.payload.`,
      );
    };

    /** Why a first sample cannot start the engine (its time is not plausible by the hub's clock). */
    const firstSampleProblem = (s: Sample, now: number): OeeInputError | null => {
      const ts = s.event.t as unknown;
      if (!isTime(ts)) return new OeeInputError(`tag "${s.tag}": ${s.role}: timestamp ${describeValue(ts)} is not whole ms since 1970; sample ignored (bad-timestamp)`, 'bad-timestamp', s.tag);
      if (Math.abs(ts - now) > maxJumpMs) {
        return new OeeInputError(`tag "${s.tag}": ${s.role}: timestamp ${iso(ts)} is ${days(Math.abs(ts - now))} from the hub's clock (limit ${days(maxJumpMs)}); sample ignored (timestamp-out-of-range)`, 'timestamp-out-of-range', s.tag);
      }
      return null;
    };

    const applySamples = (samples: readonly Sample[], now: number): { errors: OeeInputError[]; changed: boolean } => {
      const errors: OeeInputError[] = [];
      let changed = false;
      for (const s of samples) {
        if (engine === null) {
          const problem = firstSampleProblem(s, now);
          if (problem !== null) {
            errors.push(problem);
            continue;
          }
          engine = new Engine(setup.engine, s.event.t, { onNotice });
          changed = true;
        }
        const ts = s.event.t;
        // An engine left far behind (a node stopped for longer than the jump limit) catches up with a
        // sample that the hub's clock confirms, instead of refusing every sample from then on.
        if (isTime(ts) && ts > engine.time + maxJumpMs && Math.abs(ts - now) <= maxJumpMs) {
          node.warn(`${machine}: engine time ${iso(engine.time)} is ${days(ts - engine.time)} behind the samples; moving on to ${iso(ts)}`);
          engine.tick(ts);
        }
        const r = engine.apply(s.event);
        if (!r.ok) {
          errors.push(new OeeInputError(`tag "${s.tag}": ${r.error.message} (${r.error.code})`, r.error.code, s.tag));
          continue;
        }
        if (r.note !== 'duplicate') changed = true;
        if (isTime(ts)) clock.observe(ts, now);
      }
      return { errors, changed };
    };

    onInput<(msgs: (NodeMessage | NodeMessage[] | null)[]) => void>(node, (msg: NodeMessageInFlow, send, done) => {
      const now = Date.now();
      const parsed = parseMessage(msg, mapping, now);
      let errors: OeeInputError[] = [];
      let changed = false;
      switch (parsed.kind) {
        case 'report': {
          const reply = { ...msg, ...figures(true) } as NodeMessage;
          const pending = emit([reply, null, null], send, false);
          refreshStatus();
          if (pending === undefined) done();
          else void pending.then(() => done());
          return;
        }
        case 'invalid':
          errors.push(new OeeInputError(parsed.message, 'bad-message', parsed.input));
          break;
        case 'unknown-topic':
          warnUnknownTopic(parsed.topic);
          done();
          return;
        case 'assign': {
          if (engine === null) {
            errors.push(new OeeInputError(`assign-reason: stop ${describeValue(parsed.stopId)} is not a stop this node keeps (no sample yet); assignment ignored (unknown-stop)`, 'unknown-stop', 'assign-reason'));
            break;
          }
          assigner = originOf(msg).user;
          let r: ReturnType<Engine['apply']>;
          try {
            r = engine.apply({ type: 'assign', t: parsed.t, stopId: parsed.stopId as number, reason: parsed.reason as string | null });
          } finally {
            assigner = undefined;
          }
          if (r.ok) changed = true;
          else errors.push(new OeeInputError(`assign-reason: ${r.error.message} (${r.error.code})`, r.error.code, 'assign-reason'));
          break;
        }
        case 'tick': {
          const tt = parsed.t;
          if (engine === null) break; // nothing to move on yet
          if (!isTime(tt)) errors.push(new OeeInputError(`tick: timestamp ${describeValue(tt)} is not whole ms since 1970; ignored (bad-timestamp)`, 'bad-timestamp', 'tick'));
          else if (Math.abs(tt - engine.time) > maxJumpMs) {
            errors.push(new OeeInputError(`tick: timestamp ${iso(tt)} is ${days(Math.abs(tt - engine.time))} from the engine time ${iso(engine.time)} (limit ${days(maxJumpMs)}); ignored (timestamp-out-of-range)`, 'timestamp-out-of-range', 'tick'));
          } else if (tt > engine.time) {
            engine.tick(tt);
            clock.observe(tt, now);
            changed = true;
          }
          break;
        }
        case 'alive': {
          // Proof of a live link, on the sources' clock as the ticks are: keeps the state from turning
          // into no data (and restores it after no data) while no value changes.
          if (engine === null) break; // no state to keep alive yet
          const r = engine.heartbeat(clock.tickTime(now, engine.time) ?? engine.time);
          if (r.ok) changed = true;
          break;
        }
        case 'samples': {
          const r = applySamples(parsed.samples, now);
          errors = [...parsed.refused.map((x) => new OeeInputError(`tag "${x.tag}": ${x.role}: ${x.problem}; sample ignored (bad-value)`, 'bad-value', x.tag)), ...r.errors];
          changed = r.changed;
          break;
        }
      }
      settle(send, changed);
      if (errors.length === 0) {
        done();
        return;
      }
      const text = errors.length === 1 ? errors[0].message : `${errors.length} samples ignored: ${errors.map((e) => e.message).join('; ')}`;
      showError(errors[errors.length - 1].message);
      const one = errors.length === 1;
      done(new OeeInputError(`${machine}: ${text}`, one ? errors[0].code : 'several', one ? errors[0].input : errors.map((e) => e.input).join(', ')));
    });

    // ---- the clock -----------------------------------------------------------------------------

    let tickTimer: NodeJS.Timeout | undefined;
    if (timing.tickIntervalMs > 0) {
      tickTimer = setInterval(
        guarded(node, () => {
        if (closed || engine === null) return;
        const tt = clock.tickTime(Date.now(), engine.time);
        if (tt === null) return;
        engine.tick(tt);
        // Time moved: figures change; the state file only needs news (notices), not every tick.
        const news = events.length > 0 || ends.length > 0;
        settle((msgs) => node.send(msgs), news);
        if (!news) reportSoon();
        }),
        timing.tickIntervalMs,
      );
    }

    refreshStatus();
    if (engine !== null) reportSoon();

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      clearInterval(tickTimer);
      clearTimeout(reportTimer);
      clearTimeout(errorTimer);
      // Redeploy or stop: the state is written before done(); removed from the flows: its file goes.
      // Notices waiting for a write-ahead go out first.
      (outgoing ?? Promise.resolve())
        .then(() => saver.close(removed ? 'remove' : 'save'))
        .then(
          () => done(),
          (err: unknown) => {
            node.error(`${machine}: cannot ${removed ? 'delete' : 'save'} the OEE state ${file.file}: ${messageOf(err)}`);
            done();
          },
        );
    });
  });
}
