import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

/**
 * The layers of architecture.md, held against the imports of the code (issue 15): no pair of
 * folders in services/ imports each other both ways, models/ imports nothing of ours but models/,
 * monitors/ nothing but models/ and monitors/, services/ nothing of bin/, bench/ or test/.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

function sourceFiles(folder: string): string[] {
  const files: string[] = []
  for (const name of readdirSync(folder)) {
    const path = join(folder, name)
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path))
    else if (name.endsWith('.ts')) files.push(path)
  }
  return files
}

/** Every relative import of a file, as a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const targets: string[] = []
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    targets.push(relative(root, normalize(join(dirname(file), match[1]))))
  }
  return targets
}

/** The top folder of services/ a path lies in (or its file at the top). */
const roomOf = (path: string) => path.split(sep).slice(1, 2)[0]

t.test('no two folders of services/ import each other', async (t) => {
  const edges = new Map<string, string[]>()
  for (const file of sourceFiles(join(root, 'services'))) {
    const from = roomOf(relative(root, file))
    for (const target of importsOf(file)) {
      if (!target.startsWith(`services${sep}`)) continue
      const to = roomOf(target)
      if (to === from) continue
      const key = `${from} -> ${to}`
      edges.set(key, [...(edges.get(key) ?? []), `${relative(root, file)} imports ${target}`])
    }
  }
  for (const key of edges.keys()) {
    const [from, to] = key.split(' -> ')
    const back = edges.get(`${to} -> ${from}`)
    if (back) {
      t.fail(`${from} and ${to} import each other: ${edges.get(key)![0]}; ${back[0]}`)
    }
  }
  t.ok(edges.size > 20, `${edges.size} folder-to-folder arrows checked`)
})

t.test('models/ and monitors/ import only what lies beneath them', async (t) => {
  const rules: Array<[string, string[]]> = [
    ['models', ['models']],
    ['monitors', ['models', 'monitors']],
    // the service migrates its database before it listens
    ['services', ['services', 'models', 'monitors', 'migrations', 'package.json']],
  ]
  for (const [folder, allowed] of rules) {
    for (const file of sourceFiles(join(root, folder))) {
      for (const target of importsOf(file)) {
        const top = target.split(sep)[0]
        if (!allowed.includes(top)) {
          t.fail(
            `${relative(root, file)} imports ${target}: ${folder}/ may import ${allowed.join(', ')}`,
          )
        }
      }
    }
  }
  t.pass('checked')
})
