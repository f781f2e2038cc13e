import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import ts from 'typescript'
import { indicatorVocabulary } from '../../../models/vocabulary/indicators.js'

/**
 * Every snapshot column name is declared once (issue 15): outside
 * models/vocabulary/indicators.ts, no source file of services/, models/, monitors/ or bin/ spells
 * a name of the vocabulary (the base, a count column, a rate field, a model term) in its code —
 * identifiers, property names, strings, SQL and descriptions alike; comments may. Lists, types,
 * schemas and SQL derive the names from the vocabulary instead.
 *
 * The code is read with the TypeScript parser, so a comment marker inside a string (a URL) or a
 * name inside a template literal is seen for what it is.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const declaration = join('models', 'vocabulary', 'indicators.ts')

/** The vocabulary's names: whole words, so `youth_population_prev_year` is another word. */
const names = [
  ...new Set([
    indicatorVocabulary.base,
    ...indicatorVocabulary.counts.flatMap((entry) => [
      entry.column,
      entry.rate,
      ...(entry.term === null ? [] : [entry.term]),
    ]),
  ]),
]
const namePattern = new RegExp(`\\b(?:${names.join('|')})\\b`, 'g')

function sourceFiles(folder: string): string[] {
  const files: string[] = []
  for (const name of readdirSync(folder)) {
    const path = join(folder, name)
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path))
    else if (name.endsWith('.ts')) files.push(path)
  }
  return files
}

/** Each occurrence of a vocabulary name in a file's tokens (never in a comment), as file:line. */
function occurrences(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    // JSDoc is attached to nodes as children: a comment, skipped
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) {
      return
    }
    const children = node.getChildren(source)
    if (children.length > 0) {
      for (const child of children) visit(child)
      return
    }
    const start = node.getStart(source)
    const text = source.text.slice(start, node.getEnd())
    for (const match of text.matchAll(namePattern)) {
      const { line } = source.getLineAndCharacterOfPosition(start + match.index)
      found.push(`${path}:${line + 1} ${match[0]}`)
    }
  }
  visit(source)
  return found
}

const read = (path: string) => occurrences(path, readFileSync(join(root, path), 'utf8'))

const files = ['services', 'models', 'monitors', 'bin']
  .flatMap((folder) => sourceFiles(join(root, folder)))
  .map((file) => relative(root, file))
  .filter((path) => path !== declaration)

t.test('the snapshot vocabulary is spelled in one declaration', async (t) => {
  t.ok(names.length >= 10, `${names.length} names: ${names.join(', ')}`)
  t.ok(files.length > 100, `${files.length} source files read`)

  t.test(
    'when services/, models/, monitors/ and bin/ are read, then no name is spelled out',
    async (t) => {
      const found = files.flatMap(read)
      t.same(found, [], 'derive these from models/vocabulary/indicators.ts')
    },
  )

  t.test(
    'when a name is written in code, then the reader finds it (and not in comments)',
    async (t) => {
      const base = indicatorVocabulary.base
      const probe = occurrences(
        'probe.ts',
        [
          `// ${base} in a line comment`,
          `/** ${base} in a doc comment */`,
          `const url = 'http://example.org' // ${base}`,
          `const sql = \`SELECT \${url}, ${base}_prev_year, ${base} FROM snapshots\``,
          `const row = { ${base}: 1 }`,
        ].join('\n'),
      )
      t.same(probe, [`probe.ts:4 ${base}`, `probe.ts:5 ${base}`])
    },
  )
})
