/**
 * Our nodes as the package ships them: nodes/**\/*.ts compiled to CommonJS JavaScript the way tsc
 * compiles them for dist/ (TypeScript's own emit, per file), into bench/node_modules/.cache/.
 *
 * Why not run the sources through tsx like the tests do: tsx (esbuild, keepNames) wraps every named
 * closure in a __name() call, which costs on hot paths (two closures per Modbus request) and is not
 * in what users run. Why not dist/: it may be older than the sources; `npm run build` takes ~15 s,
 * this ~1 s. Node-RED itself, modbus-serial and the peer are plain JavaScript either way.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Compiles `<root>/nodes` into `<outDir>/nodes`; returns `<outDir>/nodes`. */
export function compileNodes(root: string, outDir: string): string {
  const configFile = path.join(root, 'tsconfig.build.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configFile}`);
  const options: ts.CompilerOptions = { ...parsed.options, sourceMap: false, inlineSourceMap: false, declaration: false };
  const src = path.join(root, 'nodes');
  const dst = path.join(outDir, 'nodes');
  fs.rmSync(dst, { recursive: true, force: true });
  for (const file of walk(src)) {
    const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file, reportDiagnostics: false });
    const target = path.join(dst, path.relative(src, file)).replace(/\.ts$/, '.js');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, out.outputText);
  }
  return dst;
}
