import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './blocks.ts';

/**
 * Typechecks one TypeScript example with the repository's compiler options, as if it were a
 * file of this folder (so `@orrisai/agent-otp-sdk` resolves to the SDK's sources). Nothing is
 * written to disk. Returns the errors as text.
 */
export function typecheck(code: string): string[] {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const fileName = join(ROOT, 'packages/server/test/docs-examples/example-under-test.ts');
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName ? ts.createSourceFile(name, code, language) : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], { ...options, noEmit: true }, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) =>
        `${d.file?.fileName === fileName ? 'example' : d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
}
