/**
 * The forms of CBS area codes (DESIGN.md §1), declared once for the API schemas, the upload
 * validator and the domain rules: municipality `GM` + 4 digits; district `WK` + the
 * municipality's 4 digits + 2 digits **or capital letters**; neighbourhood `BU` + the district's
 * 6 characters + 2 more. CBS uses letters since its 2023 division of Amsterdam (`WK0363AF`,
 * `BU0363AF09`), so a parent is always a prefix of its children's codes.
 */
export const areaCodePatternSource = '^(GM\\d{4}|WK\\d{4}[0-9A-Z]{2}|BU\\d{4}[0-9A-Z]{4})$'

/** A municipality code alone. */
export const municipalityCodePatternSource = '^GM\\d{4}$'

/** How the forms read in an error message. */
export const areaCodeForms =
  'GM + 4 digits, WK + 4 digits + 2 digits or capital letters, or BU + 4 digits + 4 digits or capital letters (e.g. GM0363, WK0363AF, BU0363AF09)'
