// A minimal RTSP server for tests (Node's `net` and `dgram`, no packages): it answers OPTIONS,
// DESCRIBE, SETUP, PLAY, GET_PARAMETER and TEARDOWN for one H.264 stream, carried as RTP over the
// RTSP connection itself (TCP interleaved: '$', channel, 2-byte length, packet). On PLAY it starts
// Debian's ffmpeg playing a video in real time (-re) as RTP to two loopback UDP ports of its own,
// and forwards each datagram interleaved (RTP on channel 0, RTCP on 1). When ffmpeg ends (its last
// RTCP packet is a BYE) the server closes the connection: the client sees the stream end.
//
// The SDP is written here, as `ffmpeg -f rtp -sdp_file` writes it for this stream (payload 96,
// H264/90000, packetization-mode=1), plus the control URL a client needs for SETUP; the encoder
// repeats SPS/PPS before each keyframe (x264 without global headers), so none are in the SDP.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

export interface RtspTestServer {
  /** rtsp://127.0.0.1:PORT/cam */
  url: string;
  port: number;
  /** Requests received, in order ("OPTIONS", "DESCRIBE", ...). */
  methods: string[];
  /** RTP packets forwarded to clients. */
  packets(): number;
  /** Whether a stream is being played (its ffmpeg running). */
  playing(): boolean;
  close(): Promise<void>;
}

export interface RtspTestServerOptions {
  /** The video ffmpeg plays. */
  video: string;
  /** Seconds of it to play (default: all). */
  seconds?: number;
  ffmpeg?: string;
}

const SDP = [
  'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=Visage test stream', 'c=IN IP4 0.0.0.0', 't=0 0', 'a=control:*',
  'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1', 'a=control:trackID=0', '',
].join('\r\n');

function bindUdp(): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

/** One RTSP connection: parses requests (and the client's own interleaved RTCP), answers them, streams on PLAY. */
function serveConnection(socket: Socket, options: RtspTestServerOptions, server: { methods: string[]; forwarded: number; players: Set<ChildProcess> }): void {
  let pending = Buffer.alloc(0);
  let player: ChildProcess | null = null;
  const udp: UdpSocket[] = [];
  const session = String(Math.floor(Math.random() * 1e8));
  const stop = () => {
    if (player && player.exitCode === null && player.signalCode === null) player.kill('SIGKILL');
    for (const s of udp.splice(0)) s.close();
  };
  socket.on('close', stop);
  socket.on('error', stop);

  const answer = (cseq: string, headers: Record<string, string> = {}, body = '', status = '200 OK') => {
    const lines = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, 'Server: visage-test-rtsp', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  };

  const interleave = (channel: number, packet: Buffer) => {
    if (socket.destroyed) return;
    const head = Buffer.from([0x24, channel, packet.length >> 8, packet.length & 0xff]);
    socket.write(Buffer.concat([head, packet]));
    if (channel === 0) server.forwarded++;
  };

  const play = async () => {
    const [rtp, rtcp] = [await bindUdp(), await bindUdp()];
    udp.push(rtp, rtcp);
    rtp.on('message', (packet) => interleave(0, packet));
    rtcp.on('message', (packet) => interleave(1, packet));
    const rtpPort = rtp.address().port, rtcpPort = rtcp.address().port;
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', ...(options.seconds ? ['-t', String(options.seconds)] : []), '-i', options.video,
      '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-pix_fmt', 'yuv420p',
      '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${rtpPort}?rtcpport=${rtcpPort}&pkt_size=1400`];
    player = spawn(options.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    server.players.add(player);
    player.once('exit', () => {
      server.players.delete(player!);
      // The last datagrams (RTCP BYE) are read, then the stream ends with the connection.
      setTimeout(() => { stop(); socket.end(); }, 200);
    });
  };

  const request = (head: string) => {
    const [first, ...rest] = head.split('\r\n');
    const [method, url] = first!.split(' ');
    const headers = new Map(rest.map((line) => { const at = line.indexOf(':'); return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()] as const; }));
    const cseq = headers.get('cseq') ?? '0';
    server.methods.push(method!);
    switch (method) {
      case 'OPTIONS':
        return answer(cseq, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' });
      case 'DESCRIBE':
        return answer(cseq, { 'Content-Base': `${url!.replace(/\/$/, '')}/`, 'Content-Type': 'application/sdp' }, SDP);
      case 'SETUP': {
        const transport = headers.get('transport') ?? '';
        if (!/RTP\/AVP\/TCP/i.test(transport)) return answer(cseq, {}, '', '461 Unsupported Transport');
        return answer(cseq, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1', Session: `${session};timeout=60` });
      }
      case 'PLAY':
        answer(cseq, { Session: session, Range: 'npt=0.000-' });
        return void play().catch(() => socket.destroy());
      case 'GET_PARAMETER':
        return answer(cseq, { Session: session });
      case 'TEARDOWN':
        answer(cseq, { Session: session });
        stop();
        return void socket.end();
      default:
        return answer(cseq, {}, '', '501 Not Implemented');
    }
  };

  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.length === 0) return;
      if (pending[0] === 0x24) { // the client's interleaved RTCP (receiver reports): skipped
        if (pending.length < 4) return;
        const size = 4 + pending.readUInt16BE(2);
        if (pending.length < size) return;
        pending = pending.subarray(size);
        continue;
      }
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = pending.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (pending.length < end + 4 + length) return;
      pending = pending.subarray(end + 4 + length);
      request(head);
    }
  });
}

export async function startRtspServer(options: RtspTestServerOptions): Promise<RtspTestServer> {
  const state = { methods: [] as string[], forwarded: 0, players: new Set<ChildProcess>() };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, options, state);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `rtsp://127.0.0.1:${port}/cam`,
    port,
    methods: state.methods,
    packets: () => state.forwarded,
    playing: () => state.players.size > 0,
    async close() {
      for (const player of state.players) player.kill('SIGKILL');
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
