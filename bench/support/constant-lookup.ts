/**
 * The lookup ceiling: the same kind of server as the public role (fastify for RDAP, node:net for
 * WHOIS), answering every request with a constant, the bytes of a real answer read from a file.
 * Run as its own process (like the public role) by bench/support/lookup.ts; prints `PORT <n>`
 * once listening and runs until SIGTERM.
 *   constant-lookup.ts rdap FILE | whois FILE
 */
import fs from 'node:fs';
import net from 'node:net';
import Fastify from 'fastify';

const [mode, file] = process.argv.slice(2);
if ((mode !== 'rdap' && mode !== 'whois') || !file) {
  process.stderr.write('usage: constant-lookup.ts rdap|whois FILE\n');
  process.exit(2);
}
const answer = fs.readFileSync(file);

if (mode === 'rdap') {
  const app = Fastify({ logger: false });
  app.get('/rdap/ip/:address', async (_request, reply) =>
    reply.type('application/rdap+json').header('access-control-allow-origin', '*').send(answer),
  );
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`PORT ${new URL(address).port}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
} else {
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.once('data', () => socket.end(answer));
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`PORT ${(server.address() as net.AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
