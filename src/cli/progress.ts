// Progress on stderr: a redrawn bar on a terminal, one line per step otherwise (logs, CI).

export interface Progress {
  tick(label: string): void;
  done(): void;
}

export function progress(total: number, title: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  let count = 0;
  const started = Date.now();
  const width = 24;
  return {
    tick(label: string) {
      count++;
      if (stream.isTTY) {
        const filled = Math.round((count / total) * width);
        const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
        stream.write(`\r\x1b[K${title} [${bar}] ${count}/${total} ${label}`);
      } else {
        stream.write(`${title} ${count}/${total} ${label}\n`);
      }
    },
    done() {
      if (stream.isTTY) stream.write('\n');
      stream.write(`${title}: ${count} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    },
  };
}
