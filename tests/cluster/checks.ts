// The suite's ledger: each check with its outcome and what it saw; the last line is
// `N passed, M failed`.

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export class Checks {
  readonly all: Check[] = [];

  add(name: string, ok: boolean, detail = ''): boolean {
    this.all.push({ name, ok, detail });
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `\n      ${detail}` : ''}\n`);
    return ok;
  }

  /** A step that threw is a failed check, not an aborted suite. */
  async step(name: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      this.add(name, false, `crashed: ${(err as Error).stack ?? String(err)}`);
    }
  }

  summary(): string {
    const passed = this.all.filter((c) => c.ok).length;
    return `${passed} passed, ${this.all.length - passed} failed`;
  }
}
