import { type ClientCheck, observed, violated } from '../../harness/client-mode/scenario.ts';

export const completesInTime: ClientCheck = {
  id: 'client.completes',
  title: 'The client finishes within the time limit and exits 0',
  requirements: ['CL-RUN-COMPLETES'],
  level: 'MUST',
  judge({ process }) {
    const dropped = process.stdout.droppedBytes + process.stderr.droppedBytes;
    const flood = dropped > 0 ? `; it printed ${dropped} bytes beyond the 1 MiB kept per stream` : '';
    if (process.spawnError) return violated(`the client could not be started: ${process.spawnError}`);
    if (process.timedOut) {
      return violated(
        `the client was still running after ${process.durationMs} ms and was killed${flood}; a client must give up after bounded retries`,
      );
    }
    if (process.exitCode !== 0) {
      const ending = process.signal ? `ended by ${process.signal}` : `exited with code ${process.exitCode}`;
      const lastWords = lastLine(process.stderr.text) ?? lastLine(process.stdout.text);
      return violated(`the client ${ending}${lastWords ? ` ("${lastWords}")` : ''}${flood}`);
    }
    return observed(`exited 0 after ${process.durationMs} ms${flood}`);
  },
};

function lastLine(text: string): string | undefined {
  return text.trim().split('\n').at(-1)?.slice(0, 300) || undefined;
}
