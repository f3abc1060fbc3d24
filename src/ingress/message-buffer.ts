/**
 * A message as it arrives in DATA: its chunks kept as they come and its SHA-256 computed on the
 * way, so the bytes are joined once, hashed once, and never copied again after that (the digest
 * does not need a second pass over megabytes, nor a second buffer).
 */
import { createHash, type Hash } from 'node:crypto';

export interface ReceivedMessage {
  readonly raw: Buffer;
  /** SHA-256 (hex) of `raw`. */
  readonly rawSha256: string;
}

export class MessageBuffer {
  private chunks: Buffer[] = [];
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  get length(): number {
    return this.bytes;
  }

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  /** The whole message; the buffer lets go of its chunks (call once). */
  finish(): ReceivedMessage {
    const raw = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
    this.chunks = [];
    return { raw, rawSha256: this.hash.digest('hex') };
  }

  /** Lets go of what was received (the message is refused or the client left). */
  drop(): void {
    this.chunks = [];
  }
}
