/**
 * Modbus TCP framing (MBAP): requests to bytes, and a stream of bytes to answers matched by transaction
 * id. Pure: no sockets. The transaction id is what lets a client send several requests before the first
 * answer; this module says which answer is whose, and which ones belong to nobody.
 */
import type { ModbusRequest, ReplyView } from './transport';

/** MBAP header: transaction id, protocol id (0), length of what follows, unit id. */
export const MBAP_HEADER = 7;
/** Largest length field of a valid frame: unit id + a PDU of at most 253 bytes. */
const MAX_LENGTH = 254;

/** Bytes of the MBAP frame of `req`. */
export function frameLength(req: ModbusRequest): number {
  switch (req.fc) {
    case 15:
      return MBAP_HEADER + 6 + Math.ceil(req.values.length / 8);
    case 16:
      return MBAP_HEADER + 6 + 2 * req.values.length;
    default:
      return MBAP_HEADER + 5;
  }
}

/**
 * Writes the frame of one request with transaction id `tid` into `out` at `at` (frameLength(req) bytes
 * must fit); returns where it ends. Into a caller's buffer: requests sent together share one.
 */
export function encodeRequestInto(out: Buffer, at: number, tid: number, req: ModbusRequest): number {
  const length = frameLength(req);
  if (at + length > out.length) throw new RangeError(`request of ${length} bytes does not fit`);
  out.writeUInt16BE(tid, at);
  out.writeUInt16BE(0, at + 2);
  out.writeUInt16BE(length - 6, at + 4);
  out[at + 6] = req.unitId;
  const pdu = at + MBAP_HEADER;
  out[pdu] = req.fc;
  switch (req.fc) {
    case 1:
    case 2:
    case 3:
    case 4:
      out.writeUInt16BE(req.address, pdu + 1);
      out.writeUInt16BE(req.count, pdu + 3);
      break;
    case 5:
      out.writeUInt16BE(req.address, pdu + 1);
      out.writeUInt16BE(req.value ? 0xff00 : 0, pdu + 3);
      break;
    case 6:
      out.writeUInt16BE(req.address, pdu + 1);
      out.writeUInt16BE(req.value & 0xffff, pdu + 3);
      break;
    case 15: {
      const bytes = Math.ceil(req.values.length / 8);
      out.writeUInt16BE(req.address, pdu + 1);
      out.writeUInt16BE(req.values.length, pdu + 3);
      out[pdu + 5] = bytes;
      out.fill(0, pdu + 6, pdu + 6 + bytes);
      req.values.forEach((v, i) => {
        if (v) out[pdu + 6 + (i >> 3)] |= 1 << (i & 7);
      });
      break;
    }
    case 16:
      out.writeUInt16BE(req.address, pdu + 1);
      out.writeUInt16BE(req.values.length, pdu + 3);
      out[pdu + 5] = 2 * req.values.length;
      req.values.forEach((v, i) => out.writeUInt16BE(v & 0xffff, pdu + 6 + 2 * i));
      break;
  }
  return at + length;
}

/** The bytes of one request with transaction id `tid`. */
export function encodeRequest(tid: number, req: ModbusRequest): Buffer {
  const frame = Buffer.allocUnsafe(frameLength(req));
  encodeRequestInto(frame, 0, tid, req);
  return frame;
}

/** A Modbus exception answer; `modbusCode` is what the connection tells exceptions apart by. */
export function exceptionError(code: number): Error {
  return Object.assign(new Error(`Modbus exception ${code}`), { modbusCode: code });
}

/**
 * Scratch memory the answers are decoded into, and its views by length, made once: an answer costs no
 * allocation. Sized for the largest answer a frame can carry (251 data bytes).
 */
const registers = new Uint16Array(126);
const bits = new Uint8Array(8 * 251);
const registerViews: Uint16Array[] = [];
const bitViews: Uint8Array[] = [];

function view<T extends Uint16Array | Uint8Array>(views: T[], all: T, n: number): T {
  return (views[n] ??= all.subarray(0, n) as T);
}

/**
 * The answer in `frame` (a whole MBAP frame) to `req`: registers, bits (0/1), undefined for a write, or
 * an Error (an exception, or a reply that disagrees with the request). Registers and bits are a view of
 * this module's scratch memory, valid until the next call (see ReplyView). Null when the frame is not an
 * answer to this request at all (another unit or function code): a foreign answer.
 */
export function decodeAnswer(frame: Buffer, req: ModbusRequest): ReplyView | Error | null {
  const unitId = frame[6];
  const fc = frame[7];
  if (unitId !== req.unitId || (fc & 0x7f) !== req.fc) return null;
  const pduLength = frame.length - MBAP_HEADER;
  if (fc & 0x80) return pduLength >= 2 ? exceptionError(frame[8]) : new Error(`malformed exception reply to FC${req.fc}`);
  switch (req.fc) {
    case 3:
    case 4: {
      const bytes = frame[8];
      const n = req.count;
      if (bytes !== 2 * n || pduLength !== 2 + bytes) {
        return new Error(`data length error: expected ${n} registers, got ${bytes} bytes`);
      }
      const out = view(registerViews, registers, n);
      for (let i = 0, o = 9; i < n; i++, o += 2) out[i] = (frame[o] << 8) | frame[o + 1];
      return out;
    }
    case 1:
    case 2: {
      const bytes = frame[8];
      const n = req.count;
      if (bytes !== Math.ceil(n / 8) || pduLength !== 2 + bytes) {
        return new Error(`data length error: expected ${n} bits, got ${bytes} bytes`);
      }
      const out = view(bitViews, bits, n);
      for (let i = 0; i < n; i++) out[i] = (frame[9 + (i >> 3)] >> (i & 7)) & 1;
      return out;
    }
    default:
      // Writes echo address and value or count; a device that echoes another address wrote elsewhere.
      if (pduLength !== 5 || frame.readUInt16BE(8) !== req.address) return new Error(`malformed reply to FC${req.fc} at ${req.address}`);
      return undefined;
  }
}

/**
 * Cuts a TCP byte stream into MBAP frames. A frame that cannot be one (protocol id not 0, length out of
 * range) means the stream is out of step: nothing after it can be trusted, so `push` throws.
 */
export class MbapFramer {
  private buffer: Buffer = Buffer.alloc(0);

  /** Bytes of a frame not yet complete. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Feeds received bytes; calls `frame` with each complete frame (a view, valid during the call). */
  push(data: Buffer, frame: (f: Buffer) => void): void {
    let buf = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    let at = 0;
    while (buf.length - at >= MBAP_HEADER) {
      const protocol = buf.readUInt16BE(at + 2);
      const length = buf.readUInt16BE(at + 4);
      if (protocol !== 0 || length < 3 || length > MAX_LENGTH) {
        this.buffer = Buffer.alloc(0);
        throw new Error(`not a Modbus TCP frame (protocol id ${protocol}, length ${length}): the stream is out of step`);
      }
      const end = at + 6 + length;
      if (buf.length < end) break;
      frame(buf.subarray(at, end));
      at = end;
    }
    if (at > 0) buf = buf.subarray(at);
    // Copied: a view would keep the whole receive chunk alive.
    this.buffer = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }

  clear(): void {
    this.buffer = Buffer.alloc(0);
  }
}
