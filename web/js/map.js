import * as L from '/vendor/leaflet/leaflet-src.esm.js'
import { h } from './dom.js'

/**
 * The choropleth: neighbourhood boundaries from `GET /v1/geometries` drawn by Leaflet as SVG
 * paths, with no tile layer (the dashboard works offline). One path per neighbourhood, each
 * reachable by keyboard (Tab, Enter opens the neighbourhood) and carrying `data-area-code`.
 */

/** The credit CBS's licence asks for, shown in the map's corner. */
export const boundaryCredit = 'Bron: CBS/Kadaster'

export const missingStyle = { fillColor: '#ffffff', dashArray: null }
export const suppressedStyle = { fillColor: '#c8c8c8', dashArray: '4 3' }

/**
 * @param {HTMLElement} target
 * @param {{features: any[], styleOf: (code: string) => {fillColor: string, dashArray?: string | null},
 *   labelOf: (code: string, name: string) => string, onSelect: (code: string) => void}} options
 */
export function choropleth(target, options) {
  let { styleOf, labelOf } = options
  const map = L.map(target, {
    zoomSnap: 0.25,
    scrollWheelZoom: false,
    attributionControl: true,
    preferCanvas: false,
  })
  map.attributionControl.setPrefix('Leaflet')
  // The boundaries are CBS's wijk- en buurtkaart (the demo's and any a user loads from CBS or
  // PDOK), published under CC BY 4.0, which asks for this credit wherever the map is shown.
  map.attributionControl.addAttribution(boundaryCredit)
  const styleFor = (feature) => ({
    color: '#4a4a4a',
    weight: 1,
    opacity: 1,
    fillOpacity: 0.85,
    ...styleOf(feature.properties.area_code),
  })
  const layer = L.geoJSON(
    { type: 'FeatureCollection', features: options.features },
    {
      style: styleFor,
      onEachFeature: (feature, shape) => {
        const code = feature.properties.area_code
        shape.bindTooltip(() => labelOf(code, feature.properties.area_name ?? code), {
          sticky: true,
        })
        shape.on('click', () => options.onSelect(code))
        shape.on('mouseover', () => shape.setStyle({ weight: 3 }))
        shape.on('mouseout', () => shape.setStyle({ weight: 1 }))
      },
    },
  ).addTo(map)

  function decorate() {
    layer.eachLayer((shape) => {
      const element = shape.getElement?.()
      if (!element) return
      const { area_code: code, area_name: name } = shape.feature.properties
      element.setAttribute('data-area-code', code)
      element.setAttribute('tabindex', '0')
      element.setAttribute('role', 'link')
      element.setAttribute('aria-label', labelOf(code, name ?? code))
      if (!element.dataset.keyboard) {
        element.dataset.keyboard = '1'
        element.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault()
            options.onSelect(code)
          }
        })
        element.addEventListener('focus', () => shape.setStyle({ weight: 3 }))
        element.addEventListener('blur', () => shape.setStyle({ weight: 1 }))
      }
    })
  }

  const bounds = layer.getBounds()
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] })
  else map.setView([52.1, 5.1], 7)
  decorate()

  return {
    /** Recolours (and relabels) every shape, e.g. after switching what the colour shows. */
    update(next) {
      styleOf = next.styleOf
      labelOf = next.labelOf
      layer.setStyle(styleFor)
      decorate()
    },
    shapeCount: () => layer.getLayers().length,
    destroy: () => map.remove(),
  }
}

/** A legend: a title and coloured swatches with labels (text, so it needs no colour vision). */
export function legend(title, items) {
  return h(
    'div',
    { class: 'legend' },
    h('p', { class: 'legend-title' }, title),
    h(
      'ul',
      null,
      items.map((item) =>
        h(
          'li',
          null,
          h('span', {
            class: `swatch${item.dashed ? ' swatch-dashed' : ''}`,
            style: `background:${item.colour}`,
            'aria-hidden': 'true',
          }),
          item.label,
        ),
      ),
    ),
  )
}
