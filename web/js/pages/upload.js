import { uploadCsv } from '../api.js'
import { h, replace, status } from '../dom.js'
import { number } from '../format.js'
import { t } from '../i18n.js'
import { dataTable } from '../table.js'

/**
 * Upload: drop (or choose) a CSV, see the upload progress, then either the summary of what was
 * stored or every row error the service found (nothing of a rejected file is stored).
 */

function errorTable(errors, fileName) {
  return dataTable({
    id: 'upload-errors',
    caption: t('uploadRejectedShown', { shown: errors.length }),
    exportName: `aanwas-upload-errors-${fileName.replace(/\.[^.]*$/, '')}`,
    rows: errors,
    sort: { key: 'row', direction: 'asc' },
    columns: [
      { key: 'row', label: t('colRow'), numeric: true, value: (row) => row.row },
      { key: 'column', label: t('colColumn'), value: (row) => row.column ?? '' },
      { key: 'message', label: t('colMessage'), sortable: false, value: (row) => row.message },
    ],
  })
}

export default async function uploadPage(page) {
  const { main } = page
  const input = h('input', {
    id: 'upload-file',
    type: 'file',
    accept: '.csv,text/csv',
    class: 'file-input',
  })
  const progress = h('progress', { id: 'upload-progress', max: 100, value: 0, hidden: true })
  const progressText = h('p', { id: 'upload-status', role: 'status' })
  const result = h('div', { id: 'upload-result' })
  const zone = h(
    'div',
    { class: 'dropzone', id: 'dropzone' },
    h('p', null, t('uploadDrop')),
    input,
    h('label', { for: 'upload-file', class: 'button' }, t('uploadChoose')),
  )

  let busy = false
  async function send(file) {
    if (!file || busy) return
    busy = true
    replace(result)
    progress.hidden = false
    progress.value = 0
    progressText.textContent = t('uploadSending', { file: file.name })
    try {
      const response = await uploadCsv('/v1/snapshots', file, (sent, total) => {
        progress.value = Math.round((100 * sent) / Math.max(total, 1))
        if (sent >= total) progressText.textContent = t('uploadProcessing')
      })
      if (!page.isCurrent()) return
      progress.value = 100
      progressText.textContent = ''
      const body = response.body ?? {}
      if (response.status === 201) {
        replace(
          result,
          status(
            t('uploadDone', {
              file: file.name,
              rows: number(body.rows),
              inserted: number(body.inserted),
              revised: number(body.revised),
              unchanged: number(body.unchanged),
            }),
            'success',
          ),
        )
      } else if (body.error?.details?.errors) {
        const { errors, total } = body.error.details
        replace(
          result,
          status(
            response.status === 403
              ? t('uploadForbidden', { message: body.error.message })
              : t('uploadRejected', { file: file.name, total: number(total ?? errors.length) }),
            'error',
          ),
          errorTable(errors, file.name),
        )
      } else {
        replace(
          result,
          status(
            `${t('errorPrefix')}: ${body.error?.message ?? `HTTP ${response.status}`}`,
            'error',
          ),
        )
      }
    } catch (error) {
      replace(result, status(`${t('errorPrefix')}: ${error.message}`, 'error'))
    } finally {
      busy = false
      input.value = ''
    }
  }

  input.addEventListener('change', () => send(input.files?.[0]))
  zone.addEventListener('dragover', (event) => {
    event.preventDefault()
    zone.classList.add('dragging')
  })
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'))
  zone.addEventListener('drop', (event) => {
    event.preventDefault()
    zone.classList.remove('dragging')
    send(event.dataTransfer?.files?.[0])
  })

  replace(
    main,
    h('h1', null, t('uploadTitle')),
    h('p', null, t('uploadIntro')),
    zone,
    progress,
    progressText,
    result,
  )
}
