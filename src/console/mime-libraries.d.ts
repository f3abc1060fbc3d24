// The parts of libmime and libqp (installed with mailparser and nodemailer, untyped) the console's
// raw view uses.
declare module 'libmime' {
  interface ParsedHeaderValue {
    value: string | false;
    params: Record<string, string>;
  }
  const libmime: {
    decodeWord(charset: string, encoding: string, text: string): string;
    parseHeaderValue(value: string): ParsedHeaderValue;
  };
  export default libmime;
}

declare module 'libqp' {
  export function decode(text: string): Buffer;
}
