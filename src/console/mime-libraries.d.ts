// The parts of libmime and libqp (installed with mailparser and nodemailer, untyped) the console's
// raw view uses.
declare module 'libmime' {
  interface ParsedHeaderValue {
    value: string | false;
    params: Record<string, string>;
  }
  const libmime: {
    decodeWord(charset: string, encoding: string, text: string): string;
    /** Every RFC 2047 encoded-word of a header value, decoded (the mail room's dry-run mark reads it). */
    decodeWords(text: string): string;
    parseHeaderValue(value: string): ParsedHeaderValue;
  };
  export default libmime;
}

declare module 'libqp' {
  export function decode(text: string): Buffer;
}
