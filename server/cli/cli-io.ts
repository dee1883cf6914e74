/** The CLI's view of the terminal and files, injectable so commands can be tested without a process. */
export interface CliIo {
  writeOut(text: string): void;
  writeErr(text: string): void;
  /** Reads standard input to the end. */
  readStdin(): Promise<string>;
  /** Reads one line: prompts on stderr when stdin is a terminal, else takes the first line of stdin. */
  readLine(prompt: string): Promise<string>;
  readFile(filePath: string): Promise<string>;
  readonly isStdoutTerminal: boolean;
}

/** The real process streams. */
export function createProcessIo(): CliIo {
  return {
    writeOut: (text) => void process.stdout.write(text),
    writeErr: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks).toString('utf8');
    },
    readLine: async (prompt) => {
      const isTerminal = process.stdin.isTTY === true;
      // Loaded on the first prompt only: most commands never read a line.
      const rl = process.getBuiltinModule('node:readline').createInterface({ input: process.stdin, terminal: false });
      try {
        if (isTerminal) process.stderr.write(prompt);
        for await (const line of rl) return line.trim();
        return '';
      } finally {
        rl.close();
      }
    },
    readFile: (filePath) => process.getBuiltinModule('node:fs/promises').readFile(filePath, 'utf8'),
    isStdoutTerminal: process.stdout.isTTY === true,
  };
}
