/* global document, window, location, history, performance, sessionStorage */
import {
  ApiError,
  NotAvailableError,
  api,
  available,
  clearKey,
  getKey,
  setKey,
  whenUnauthorized,
} from './api.js'
import { h, replace, status } from './dom.js'
import { currentLanguage, setLanguage, t } from './i18n.js'
import overviewPage from './pages/overview.js'

// Pages other than the first one are loaded when first opened (uPlot comes with them).
const areaPage = async (page) => (await import('./pages/area.js')).default(page)
const interventionListPage = async (page) =>
  (await import('./pages/interventions.js')).interventionListPage(page)
const interventionPage = async (page) =>
  (await import('./pages/interventions.js')).interventionPage(page)
const alertsPage = async (page) => (await import('./pages/alerts.js')).default(page)
const uploadPage = async (page) => (await import('./pages/upload.js')).default(page)

/**
 * The dashboard shell: the API key (login form or `#key=…` in the address, which is then
 * removed from it), the header with navigation and language switch, and hash routing:
 *
 *   #/ or #/overview/GM0518[/risk|change]   overview: map and ranked table
 *   #/area/BU05180101                       one neighbourhood
 *   #/interventions[/GM0518]                interventions of a municipality
 *   #/intervention/<id>[/synthetic_control|did]
 *   #/alerts                                alerts
 *   #/upload                                upload a CSV
 */

const main = document.getElementById('main')
const nav = document.getElementById('nav')
const languageButton = document.getElementById('language')
const logoutButton = document.getElementById('logout')

const routes = [
  { pattern: /^#?\/?$/, page: overviewPage, name: 'overview', nav: 'overview' },
  {
    pattern: /^#\/overview\/(GM\d{4})(?:\/(risk|change))?$/,
    page: overviewPage,
    name: 'overview',
    nav: 'overview',
  },
  // CBS codes, capital letters allowed in the district and neighbourhood part (WK0363AF, BU0363AF09)
  {
    pattern: /^#\/area\/(GM\d{4}|WK\d{4}[0-9A-Z]{2}|BU\d{4}[0-9A-Z]{4})$/,
    page: areaPage,
    name: 'area',
    nav: 'overview',
  },
  {
    pattern: /^#\/interventions(?:\/(GM\d{4}))?$/,
    page: interventionListPage,
    name: 'interventions',
    nav: 'interventions',
  },
  {
    pattern: /^#\/intervention\/([0-9a-fA-F-]{36})(?:\/(synthetic_control|did))?$/,
    page: interventionPage,
    name: 'intervention',
    nav: 'interventions',
  },
  { pattern: /^#\/alerts$/, page: alertsPage, name: 'alerts', nav: 'alerts' },
  { pattern: /^#\/upload$/, page: uploadPage, name: 'upload', nav: 'upload' },
]

const navItems = [
  { id: 'overview', href: '#/', label: 'navOverview' },
  { id: 'interventions', href: '#/interventions', label: 'navInterventions' },
  { id: 'alerts', href: '#/alerts', label: 'navAlerts' },
  // Uploading is for analysts and admins: a viewer's key does not see the page.
  { id: 'upload', href: '#/upload', label: 'navUpload', roles: ['analyst', 'admin'] },
]

/** The key's role, from GET /v1/keys/me; undefined until known (then every item shows). */
let keyRole
let keyRoleRequest
function knowRole(activeNav) {
  keyRoleRequest ??= api('/v1/keys/me')
    .then((me) => {
      keyRole = me.role
      renderHeader(activeNav)
    })
    .catch(() => {
      keyRoleRequest = undefined
    })
}

/** Shared between pages: the municipalities the key may see and the one chosen. */
let municipalityList
const app = {
  /** Municipalities within the key's scope (the API limits the list), by name. */
  municipalities() {
    municipalityList ??= api('/v1/areas?level=municipality&limit=10000').then((body) =>
      [...body.items].sort((a, b) =>
        (a.area_name ?? a.area_code).localeCompare(b.area_name ?? b.area_code),
      ),
    )
    municipalityList.catch(() => {
      municipalityList = undefined
    })
    return municipalityList
  },
  /** The chosen municipality code, or the first the key may see. */
  async municipality(preferred) {
    const list = await app.municipalities()
    const codes = list.map((area) => area.area_code)
    let stored
    try {
      stored = sessionStorage.getItem('aanwas.municipality')
    } catch {
      stored = null
    }
    const chosen =
      [preferred, stored].find((code) => code && codes.includes(code)) ?? codes[0] ?? null
    if (chosen) app.rememberMunicipality(chosen)
    return chosen
  },
  rememberMunicipality(code) {
    try {
      sessionStorage.setItem('aanwas.municipality', code)
    } catch {
      // not kept
    }
  },
  navigate(hash) {
    if (location.hash === hash) render()
    else location.hash = hash
  },
  /** Marks the first moment the first page is usable (the bench reads this mark). */
  markInteractive() {
    if (performance.getEntriesByName('aanwas-interactive').length === 0) {
      performance.mark('aanwas-interactive')
    }
  },
}

function renderHeader(activeNav) {
  document.getElementById('subtitle').textContent = t('appSubtitle')
  document.getElementById('skip').textContent = t('skipToContent')
  document.getElementById('footer-note').textContent = t('demoNote')
  nav.setAttribute('aria-label', t('navOverview'))
  const loggedIn = Boolean(getKey())
  replace(
    nav,
    loggedIn
      ? h(
          'ul',
          null,
          navItems
            .filter((item) => !item.roles || keyRole === undefined || item.roles.includes(keyRole))
            .map((item) =>
              h(
                'li',
                null,
                h(
                  'a',
                  { href: item.href, 'aria-current': item.id === activeNav ? 'page' : undefined },
                  t(item.label),
                ),
              ),
            ),
        )
      : null,
  )
  languageButton.textContent = t('switchLanguage')
  languageButton.setAttribute('aria-label', t('switchLanguageLabel'))
  languageButton.setAttribute('lang', currentLanguage() === 'nl' ? 'en' : 'nl')
  logoutButton.textContent = t('logout')
  logoutButton.hidden = !loggedIn
}

function loginPage(message) {
  renderHeader(null)
  main.dataset.page = 'login'
  const input = h('input', {
    id: 'key-input',
    name: 'key',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    spellcheck: 'false',
  })
  const feedback = h('div', { 'aria-live': 'polite' }, message ? status(message, 'error') : null)
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (event) => {
        event.preventDefault()
        const key = input.value.trim()
        if (!key) {
          replace(feedback, status(t('loginEmpty'), 'error'))
          return
        }
        try {
          await api('/v1/areas?level=municipality&limit=1', { key })
        } catch (error) {
          replace(
            feedback,
            status(
              error instanceof ApiError && error.status === 401
                ? t('loginFailed')
                : String(error.message),
              'error',
            ),
          )
          return
        }
        setKey(key)
        municipalityList = undefined
        keyRole = undefined
        keyRoleRequest = undefined
        render()
      },
    },
    h('label', { for: 'key-input' }, t('loginKey')),
    input,
    h('button', { type: 'submit' }, t('loginSubmit')),
    feedback,
  )
  replace(main, h('h1', null, t('loginTitle')), h('p', null, t('loginIntro')), form)
  main.dataset.ready = 'true'
  input.focus()
}

/** Reads `#key=…` from the address, keeps it in sessionStorage and removes it from the address. */
function takeKeyFromFragment() {
  const match = /^#key=([^&]+)(?:&|$)/.exec(location.hash)
  if (!match) return
  setKey(decodeURIComponent(match[1]))
  municipalityList = undefined
  history.replaceState(null, '', `${location.pathname}${location.search}`)
}

let current = { token: 0, cleanups: [] }
let firstRender = true

/** Ends the page on screen: its charts and maps are removed, its pending work ignored. */
function leavePage() {
  for (const cleanup of current.cleanups.splice(0)) {
    try {
      cleanup()
    } catch {
      // a chart already gone
    }
  }
  current = { token: current.token + 1, cleanups: [] }
  return current.token
}

export async function render() {
  const token = leavePage()
  main.dataset.ready = 'false'
  if (!getKey()) {
    loginPage()
    return
  }
  const hash = location.hash
  const route = routes.find((candidate) => candidate.pattern.test(hash)) ?? routes[0]
  const params = route.pattern.exec(hash)?.slice(1) ?? []
  renderHeader(route.nav)
  knowRole(route.nav)
  main.dataset.page = route.name
  replace(main, status(t('loading')))
  if (!firstRender) main.focus({ preventScroll: true })
  firstRender = false
  const page = {
    main,
    params,
    app,
    isCurrent: () => current.token === token,
    onCleanup: (cleanup) => current.cleanups.push(cleanup),
  }
  try {
    await route.page(page)
  } catch (error) {
    if (!page.isCurrent()) return
    if (error instanceof ApiError && error.status === 401) return
    const text =
      error instanceof NotAvailableError
        ? t('notAvailable')
        : `${t('errorPrefix')}: ${error instanceof Error ? error.message : String(error)}`
    main.append(status(text, 'error'))
  }
  if (page.isCurrent()) main.dataset.ready = 'true'
}

whenUnauthorized(() => {
  leavePage()
  clearKey()
  municipalityList = undefined
  keyRole = undefined
  keyRoleRequest = undefined
  loginPage(t('loginFailed'))
})

languageButton.addEventListener('click', () => {
  setLanguage(currentLanguage() === 'nl' ? 'en' : 'nl')
  render()
})
logoutButton.addEventListener('click', () => {
  clearKey()
  municipalityList = undefined
  keyRole = undefined
  keyRoleRequest = undefined
  history.replaceState(null, '', `${location.pathname}${location.search}`)
  render()
})
document.getElementById('skip').addEventListener('click', (event) => {
  event.preventDefault()
  main.focus()
})
window.addEventListener('hashchange', () => {
  if (location.hash.startsWith('#key=')) takeKeyFromFragment()
  render()
})

setLanguage(currentLanguage())
takeKeyFromFragment()
// Learn which routes the service has while the first page asks for its data.
available('GET', '/v1/areas')
render()
