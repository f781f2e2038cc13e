import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

/**
 * YAML flow style → JSON: single-quoted scalars ('' is a quote, no other escapes) become JSON
 * strings; double-quoted ones are JSON-compatible already; trailing commas are dropped.
 * Enough for the shipped rules file, without a YAML dependency.
 */
function flowYamlToJson(text: string): string {
  let out = ''
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]
    if (character === "'") {
      let value = ''
      for (index += 1; index < text.length; index += 1) {
        if (text[index] === "'" && text[index + 1] === "'") {
          value += "'"
          index += 1
        } else if (text[index] === "'") break
        else value += text[index]
      }
      out += JSON.stringify(value)
    } else if (character === '"') {
      const start = index
      for (index += 1; index < text.length && text[index] !== '"'; index += 1)
        if (text[index] === '\\') index += 1
      out += text.slice(start, index + 1)
    } else if (character === ',' && /^\s*[}\]]/.test(text.slice(index + 1))) {
      // a trailing comma, allowed in YAML flow collections, not in JSON
    } else {
      out += character
    }
  }
  return out
}

const monitors = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'monitors')

t.test('monitors/prometheus-rules.yml', async (t) => {
  t.test('when parsed, then every rule is a valid alerting rule on our metrics', async (t) => {
    // The file is YAML in flow style (as Prettier keeps it): JSON with single-quoted strings.
    const text = readFileSync(join(monitors, 'prometheus-rules.yml'), 'utf8')
    const json = flowYamlToJson(
      text
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('#'))
        .join('\n'),
    )
    const parsed = JSON.parse(json) as {
      groups: Array<{ name: string; rules: Array<Record<string, unknown>> }>
    }
    t.ok(parsed.groups.length > 0)
    const names = new Set<string>()
    for (const group of parsed.groups) {
      t.type(group.name, 'string')
      t.notOk(names.has(group.name), 'group names are unique')
      names.add(group.name)
      for (const rule of group.rules) {
        t.match(rule.alert, /^[A-Za-z][A-Za-z0-9]*$/)
        t.type(rule.expr, 'string')
        t.match(rule.for, /^\d+[smh]$/)
        t.type(rule.labels, 'object')
        t.type((rule.annotations as Record<string, unknown>).summary, 'string')
        const expr = rule.expr as string
        let depth = 0
        for (const character of expr) {
          if (character === '(') depth += 1
          if (character === ')') depth -= 1
          t.ok(depth >= 0, 'parentheses balance')
        }
        t.equal(depth, 0, `${rule.alert}: parentheses balance`)
        t.ok(/aanwas_|up\{/.test(expr), `${rule.alert} reads our metrics`)
      }
    }
  })
})

t.test('monitors/grafana-dashboard.json', async (t) => {
  t.test('when parsed, then it is a dashboard whose panels query our metrics', async (t) => {
    const dashboard = JSON.parse(readFileSync(join(monitors, 'grafana-dashboard.json'), 'utf8'))
    t.type(dashboard.title, 'string')
    t.ok(dashboard.panels.length >= 6)
    const ids = new Set<number>()
    for (const panel of dashboard.panels) {
      t.notOk(ids.has(panel.id), 'panel ids are unique')
      ids.add(panel.id)
      t.ok(panel.targets.every((target: { expr: string }) => /aanwas_/.test(target.expr)))
    }
  })
})
