import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import {
  type AuditEntry,
  type AuditVerification,
  auditCsvHeader,
  auditCsvRow,
  auditJsonLine,
  type Store,
  verifyAuditLog,
} from '@agent-otp/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import { iso, withRuntime, writeChunk } from '../admin.ts';
import { CliError, print, table } from '../output.ts';

/**
 * The audit log: verify the hash chain, show the latest entries, export everything. All of them
 * stream the log page by page, so a log of millions of entries never sits in memory at once.
 * Exit codes: 0 = intact / done, 1 = the chain is broken (or any other error). A broken chain
 * shares 1 with other errors on purpose: for a cron job or CI either one needs a person.
 */

const PAGE = 1000;
const READ_ONLY = { readOnly: true };

/** Every entry in chain order. */
async function* entries(store: Store): AsyncGenerator<AuditEntry> {
  let afterSeq = 0;
  for (;;) {
    const page = await store.listAudit({ afterSeq, limit: PAGE });
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < PAGE) return;
    afterSeq = last.seq;
  }
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new InvalidArgumentError('expected an integer from 1 to 100000');
  return n;
}

/** Opens the export file up front, so a bad path is one clear error before any work. */
function openOut(file: string): WriteStream {
  try {
    return createWriteStream('', { fd: openSync(file, 'w', 0o600) });
  } catch (error) {
    throw new CliError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** What the head is anchored to, for people: a missing anchor is said plainly, not hidden. */
function anchorLine(result: AuditVerification & { ok: true }): string {
  const { anchor } = result;
  if (anchor.status === 'not_anchored') {
    return `not anchored: no checkpoint in ${anchor.location ?? '(none configured)'}, so removing the newest entries would go unnoticed (the server writes checkpoints while it runs)`;
  }
  const behind = result.entries - anchor.entries;
  const newer = behind > 0 ? `; ${behind} newer ${behind === 1 ? 'entry' : 'entries'} not yet anchored` : '';
  // With several stripes the checkpoint signs each one's head: say how much that covers.
  const covers = anchor.stripes > 1 ? ` covering ${anchor.entries} entries in ${anchor.stripes} stripes` : '';
  return `anchored at entry ${anchor.seq} by a signed checkpoint of ${iso(anchor.at)}${covers} (${anchor.location})${newer}`;
}

/** Only when there is more than one chain, so the single-chain line reads as it always has. */
function stripesNote(result: AuditVerification & { ok: true }): string {
  const during = result.appendedDuringCheck;
  const stripes = result.stripes > 1 ? ` in ${result.stripes} stripes, cross-anchored` : '';
  return during > 0 ? `${stripes} (${during} appended during the check, not checked)` : stripes;
}

export function auditCommand(): Command {
  const audit = new Command('audit').description('Verify, view and export the tamper-evident audit log');

  audit
    .command('verify')
    .description(
      'Check every entry’s hash and link, and the chain against its signed checkpoints; exit 1 naming the first problem',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await withRuntime((rt) => verifyAuditLog(rt.store, rt.auditAnchor), READ_ONLY);
      if (options.json) {
        print(true, result, () => '');
        if (!result.ok) process.exitCode = 1;
      } else if (result.ok) {
        print(
          false,
          result,
          () =>
            `audit chain intact: ${result.entries} entries${stripesNote(result)}, head ${result.headHash}\n${anchorLine(result)}`,
        );
      } else {
        const where = result.brokenAtSeq === null ? '' : ` at entry ${result.brokenAtSeq}`;
        throw new CliError(`audit chain BROKEN${where}: ${result.reason}`);
      }
    });

  audit
    .command('tail')
    .description('Show the latest entries')
    .option('-n, --lines <n>', 'how many entries', count, 20)
    .option('--json', 'print JSON')
    .action(async (options: { lines: number; json?: boolean }) => {
      // The store pages forward only, so keep a window of the last n while streaming; trimming
      // it in batches keeps that linear in the size of the log.
      const last = await withRuntime(async (rt) => {
        let window: AuditEntry[] = [];
        for await (const entry of entries(rt.store)) {
          window.push(entry);
          if (window.length >= 2 * options.lines) window = window.slice(-options.lines);
        }
        return window.slice(-options.lines);
      }, READ_ONLY);
      print(options.json === true, last, () =>
        last.length === 0
          ? 'no audit entries yet'
          : table(
              ['SEQ', 'AT', 'EVENT', 'ACTOR', 'AGENT', 'PERMISSION', 'DETAILS'],
              last.map((e) => [
                String(e.seq),
                iso(e.at),
                e.event,
                `${e.actor.type}:${e.actor.id}`,
                e.agentId ?? '-',
                e.permissionId ?? '-',
                JSON.stringify(e.details),
              ]),
            ),
      );
    });

  audit
    .command('export')
    .description('Export every entry (with seq and hashes, so a copy can be verified later)')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--out <file>', 'write to a file (created 0600) instead of stdout')
    .action(async (options: { format: 'jsonl' | 'csv'; out?: string }) => {
      let exported = 0;
      let out: NodeJS.WritableStream = process.stdout;
      try {
        await withRuntime(async (rt) => {
          // Opened once the store is known to exist, so a failed export leaves no empty file.
          if (options.out) out = openOut(options.out);
          if (options.format === 'csv') await writeChunk(out, auditCsvHeader());
          for await (const entry of entries(rt.store)) {
            await writeChunk(out, options.format === 'csv' ? auditCsvRow(entry) : auditJsonLine(entry));
            exported += 1;
          }
        }, READ_ONLY);
      } catch (error) {
        // `audit export | head` closes the pipe early; that is the reader's choice, not a failure.
        if (out === process.stdout && (error as NodeJS.ErrnoException).code === 'EPIPE') return;
        throw error;
      }
      if (out !== process.stdout) {
        out.end();
        await finished(out);
        process.stderr.write(`exported ${exported} audit entries to ${options.out}\n`);
      }
    });

  return audit;
}
