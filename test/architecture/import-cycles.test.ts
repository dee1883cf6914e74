import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/** One relative import of a module: static, `export ... from`, or a dynamic `import()`; type-only ones too. */
export interface ImportEdge {
  from: string;
  to: string;
}

function sourceFiles(dir: string, skip: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (skip.has(relative(repoRoot, path))) continue;
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path, skip));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The module specifiers a file imports, found by the TypeScript parser (comments and strings cannot fool it). */
function importSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg !== undefined && ts.isStringLiteralLike(arg)) specifiers.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specifiers.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** The import graph of the .ts files under `dir` (relative imports only; `./x.js` names `./x.ts`). */
export function importGraph(dir: string, skip: ReadonlySet<string> = new Set()): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(dir, skip)) {
    const targets = importSpecifiers(file)
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(repoRoot, resolve(dirname(file), s.replace(/\.js$/, '.ts'))));
    graph.set(relative(repoRoot, file), [...new Set(targets)]);
  }
  return graph;
}

/** Every import circle in the graph, each once, as the list of files around it (Tarjan's strongly connected components). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return cycles;
}

describe('architecture/import-cycles', () => {
  it('finds a circle through a dynamic import (the detector itself works)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(findCycles(graph)).to.deep.equal([['a.ts', 'b.ts', 'c.ts']]);
    expect(findCycles(new Map([['a.ts', ['b.ts']]]))).to.deep.equal([]);
  });

  it('reads static, re-export, dynamic and type-only imports from source', () => {
    const graph = importGraph(join(repoRoot, 'provider', 'protocol'));
    expect(graph.get('provider/protocol/provider-service.ts')).to.include('provider/protocol/rpc-handlers.ts'); // a dynamic import()
    expect(graph.get('provider/protocol/schema-messages.ts')).to.include('provider/framework/schema.ts'); // `import type`
  });

  for (const dir of ['server', 'provider']) {
    it(`has no import circles in ${dir}/`, () => {
      // provider/bindings/ is generated CDKTF code with its own package.json; it is not part of the provider program.
      const cycles = findCycles(importGraph(join(repoRoot, dir), new Set(['provider/bindings'])));
      expect(
        cycles.map((c) => c.join(' → ')),
        'import circles',
      ).to.deep.equal([]);
    });
  }
});
