// A TCP proxy in front of PostgreSQL, for tests of a database that goes away: `cut()` drops every
// connection and refuses new ones (as a server that stopped or a network that broke), `silence()`
// accepts connections and never answers (a black hole), `resume()` forwards again.
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** The URL `url` with its host and port replaced by this proxy's. */
  through(url: string): string;
  cut(): void;
  silence(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'forward' | 'cut' | 'silent' = 'forward';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (mode === 'cut') return client.destroy();
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (mode === 'silent') return;
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const dropAll = () => { for (const socket of sockets) socket.destroy(); sockets.clear(); };
  return {
    port,
    through(url: string) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.href;
    },
    cut() { mode = 'cut'; dropAll(); },
    silence() { mode = 'silent'; dropAll(); },
    resume() { mode = 'forward'; },
    async close() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
