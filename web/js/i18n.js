/* global document, localStorage */
/**
 * Texts of the dashboard in Dutch (the default) and English. `t(key, params)` fills `{name}`
 * placeholders; the language is kept in localStorage and set on `<html lang>`.
 */

const texts = {
  nl: {
    appTitle: 'Aanwas',
    appSubtitle: 'jonge aanwas in drugscriminaliteit per buurt',
    skipToContent: 'Naar de inhoud',
    navOverview: 'Overzicht',
    navInterventions: 'Interventies',
    navAlerts: 'Signalen',
    navUpload: 'Gegevens laden',
    switchLanguage: 'English',
    switchLanguageLabel: 'Switch to English',
    logout: 'Uitloggen',
    loading: 'Laden…',
    notAvailable: 'Niet beschikbaar op deze server.',
    notAvailableRoute: '{what} is (nog) niet beschikbaar op deze server.',
    errorPrefix: 'Er ging iets mis',
    noData: 'geen gegevens',
    suppressed: 'onderdrukt',
    suppressedTitle: 'Onderdrukt door de geheimhoudingsregels (te kleine aantallen)',
    unreliable: 'onbetrouwbaar (kleine basis)',
    demoNote: 'Alleen geaggregeerde cijfers per buurt en kwartaal; nooit gegevens over personen.',
    // login
    loginTitle: 'Inloggen',
    loginIntro:
      'Vul de API-sleutel in die u van de beheerder hebt gekregen. De sleutel blijft alleen in dit tabblad bewaard.',
    loginKey: 'API-sleutel',
    loginSubmit: 'Inloggen',
    loginFailed: 'Deze sleutel is onbekend of ingetrokken.',
    loginEmpty: 'Vul een sleutel in.',
    // overview
    overviewTitle: 'Overzicht',
    municipality: 'Gemeente',
    colourBy: 'Kleur de kaart naar',
    colourRisk: 'risicopercentiel',
    colourChange: 'verandering t.o.v. vorig jaar',
    mapTitle: 'Kaart van de buurten in {name}',
    mapLabel: 'Kaart: buurten gekleurd naar {what}. De tabel ernaast bevat dezelfde gegevens.',
    tableTitle: 'Buurten gerangschikt naar risico, {period}',
    noModelRun:
      'Er is nog geen risicomodel doorgerekend. Een analist of beheerder kan een modelrun starten.',
    noGeometries: 'Voor deze gemeente zijn geen buurtgrenzen geladen.',
    legendRisk: 'Risicopercentiel in de gemeente',
    legendChange: 'Verandering 4-kwartaalspercentage',
    legendNoData: 'geen gegevens',
    legendSuppressed: 'onderdrukt',
    colRank: '#',
    colArea: 'Buurt',
    colRisk: 'Risico',
    colInterval: '95%-interval',
    colObserved: 'Waargenomen',
    colExpected: 'Verwacht',
    colRatio: 'Verhouding waargenomen/verwacht',
    colObservedExpected: 'Waargenomen / verwacht',
    colChange: 'Verandering j-o-j',
    colAlerts: 'Signalen',
    colPercentile: 'Percentiel',
    riskSummary:
      'Risico is de voorspelde kans dat een jongere (13–18) in een kwartaal verdachte wordt van een drugsdelict. Waargenomen en verwacht zijn aantallen jongeren in {period}.',
    significant: 'significant (p < 0,05)',
    significantMark: 'significant',
    exportCsv: 'Exporteer als CSV',
    sortBy: 'Sorteer op {column}',
    showTable: 'Toon de gegevens als tabel',
    // neighbourhood
    areaTitle: '{name}',
    areaIn: '{code} · wijk {district} · gemeente {municipality}',
    backToOverview: 'Terug naar het overzicht',
    chartOutcome: 'Aandeel jongeren dat verdachte wordt van een drugsdelict, per kwartaal',
    chartOutcomeNote:
      'De lijn "verwacht" is wat het risicomodel op grond van de drie voorspellers verwacht; de band geeft aan waar 95% van de kwartalen zou liggen als het model klopt.',
    seriesObserved: 'waargenomen',
    seriesExpected: 'verwacht (model)',
    seriesBand: '95%-band',
    seriesBandLow: 'band onder',
    seriesBandHigh: 'band boven',
    chartPredictors: 'De drie voorspellers, per kwartaal',
    predictorEarly: 'voortijdig schoolverlaten',
    predictorHalt: 'HALT-registratie',
    predictorDebt: 'ouders met problematische schulden',
    chartYoy: 'Verandering ten opzichte van een jaar eerder (4 kwartalen opgeteld)',
    chartYoyNote:
      'Een staaf is het verschil in procentpunten tussen de laatste vier kwartalen en dezelfde vier kwartalen een jaar eerder; * = significant (p < 0,05).',
    colPeriod: 'Kwartaal',
    colRate: 'Percentage',
    colRatePrev: 'Een jaar eerder',
    colPValue: 'p-waarde',
    colPAdjusted: 'p (gecorrigeerd)',
    colYouth: 'Jongeren 13–18',
    colSuspects: 'Verdachten',
    trendTitle: 'Trend',
    trendRising:
      'Het percentage stijgt over de hele reeks (seizoens-Mann-Kendall, p = {p}); de helling is {slope} procentpunt per jaar.',
    trendFalling:
      'Het percentage daalt over de hele reeks (seizoens-Mann-Kendall, p = {p}); de helling is {slope} procentpunt per jaar.',
    trendNone: 'Er is geen duidelijke stijgende of dalende trend (seizoens-Mann-Kendall, p = {p}).',
    trendSuppressed: 'De trendtoets is onderdrukt voor deze buurt.',
    trendMissing: 'Te weinig kwartalen voor een trendtoets.',
    riskLine:
      'Risico in {period}: {risk} (95%-interval {low} – {high}); rang {rank} van {total} buurten in de gemeente.',
    alertsTitle: 'Signalen',
    noAlerts: 'Geen signalen.',
    // interventions
    interventionsTitle: 'Interventies',
    noInterventions: 'Voor deze gemeente zijn nog geen interventies vastgelegd.',
    interventionAreas: '{count} buurten',
    colName: 'Naam',
    colDescription: 'Omschrijving',
    colStart: 'Start',
    colAreas: 'Buurten',
    method: 'Methode',
    methodSc: 'synthetische controle',
    methodDid: 'verschil-in-verschillen (Callaway & Sant’Anna)',
    effectsLoading: 'Effecten worden berekend; dit kan enkele seconden duren…',
    overallFall:
      'Na de start lag het percentage in de behandelde buurten gemiddeld {att} procentpunt per kwartaal lager dan zonder interventie verwacht (95%-interval {low} tot {high}; p = {p}).',
    overallRise:
      'Na de start lag het percentage in de behandelde buurten gemiddeld {att} procentpunt per kwartaal hoger dan zonder interventie verwacht (95%-interval {low} tot {high}; p = {p}).',
    overallUnclear:
      'Dat verschil is niet duidelijk van toeval te onderscheiden: het interval bevat nul.',
    overallClear: 'Het interval bevat geen nul: het verschil is waarschijnlijk geen toeval.',
    overallSuppressed: 'Het totale effect is onderdrukt door de geheimhoudingsregels.',
    warningsTitle: 'Waarschuwingen',
    chartSynthetic: '{name}: waargenomen en synthetische controle',
    chartSyntheticNote:
      'De synthetische controle is een gewogen mix van niet-behandelde buurten die vóór de start zo goed mogelijk op deze buurt leek. De verticale lijn is de start.',
    seriesSynthetic: 'synthetische controle',
    startMarked: 'start {period}',
    chartEventStudy: 'Effect per kwartaal vóór en na de start (event study)',
    chartEventStudyNote:
      'Kwartaal 0 is het eerste kwartaal van de interventie. Punten vóór 0 horen rond nul te liggen; de lijnen zijn 95%-intervallen.',
    colEventTime: 'Kwartaal t.o.v. start',
    colEffect: 'Effect (procentpunt)',
    colCiLow: 'Interval onder',
    colCiHigh: 'Interval boven',
    byAreaTitle: 'Per behandelde buurt',
    colDonors: 'Belangrijkste donorbuurten',
    powerTitle: 'Hoe groot moet een effect zijn om het te kunnen zien?',
    powerIntro:
      'Voor een geplande interventie: kies buurten, een startkwartaal en hoe lang u wilt meten. De berekening gebruikt de geschiedenis van de gegevens.',
    powerAreas: 'Buurten (Ctrl/Cmd voor meer)',
    powerStart: 'Startkwartaal',
    powerHorizon: 'Aantal kwartalen meten',
    powerEffect: 'Verwacht effect (%, optioneel; bijvoorbeeld -20)',
    powerSubmit: 'Bereken',
    powerAnswer:
      'Met {areas} buurten en {horizon} kwartalen meten is een daling of stijging van {mde} of meer ({abs} procentpunt op een basis van {base} per kwartaal) met 80% kans te zien.',
    powerAnswerNone:
      'Met {areas} buurten en {horizon} kwartalen is binnen het onderzochte bereik geen effect met 80% kans te zien.',
    powerAtEffect: 'Een effect van {effect} wordt met {power} kans gezien.',
    powerRunning: 'Bezig met simuleren…',
    colRelativeEffect: 'Effect (relatief)',
    colPower: 'Kans om te zien',
    // alerts
    alertsPageTitle: 'Signalen',
    filterKind: 'Soort',
    filterState: 'Toestand',
    stateFiring: 'actief',
    stateAcknowledged: 'actief, gezien',
    stateResolved: 'opgelost',
    stateOpen: 'actief (ook als gezien)',
    stateAll: 'actief en recent opgelost',
    colRule: 'Regel',
    kindAll: 'alle soorten',
    kind_risk_percentile: 'hoog risicopercentiel',
    kind_yoy_rise: 'stijging t.o.v. vorig jaar',
    kind_aberration: 'ongewoon hoog aantal',
    kind_trend: 'stijgende trend',
    colKind: 'Soort',
    colValue: 'Waarde',
    colThreshold: 'Drempel',
    colExplanation: 'Uitleg',
    colSince: 'Sinds',
    colState: 'Toestand',
    colAction: 'Actie',
    acknowledge: 'Gezien',
    acknowledged: 'gezien',
    acknowledgeFailed: 'Bevestigen lukte niet: {message}',
    rulesTitle: 'Signaalregels',
    colParams: 'Instellingen',
    interventionsCaption: 'Vastgelegde interventies',
    // upload
    uploadTitle: 'Gegevens laden',
    uploadIntro:
      'Laad een CSV-bestand met kwartaalcijfers per buurt (kolommen area_code, area_name, period, youth_population, early_school_leavers, halt_registrations, parental_debt, drug_offence_suspects). Alles of niets: bij één fout wordt niets opgeslagen. Hiervoor is een beheerderssleutel nodig (of een analistensleutel binnen de eigen gemeente).',
    uploadDrop: 'Sleep een CSV-bestand hierheen of kies een bestand',
    uploadChoose: 'CSV-bestand',
    uploadSending: '{file} wordt verzonden…',
    uploadProcessing: 'Verzonden; de server controleert en slaat op…',
    uploadDone:
      '{file}: {rows} rijen verwerkt — {inserted} nieuw, {revised} herzien, {unchanged} ongewijzigd.',
    uploadRejected: '{file} is geweigerd: {total} fouten gevonden. Er is niets opgeslagen.',
    uploadRejectedShown: 'De eerste {shown} fouten:',
    uploadForbidden: 'Deze sleutel mag hier geen gegevens laden: {message}',
    colRow: 'Rij',
    colColumn: 'Kolom',
    colMessage: 'Melding',
  },
  en: {
    appTitle: 'Aanwas',
    appSubtitle: 'youth influx into drug crime per neighbourhood',
    skipToContent: 'Skip to content',
    navOverview: 'Overview',
    navInterventions: 'Interventions',
    navAlerts: 'Alerts',
    navUpload: 'Upload data',
    switchLanguage: 'Nederlands',
    switchLanguageLabel: 'Schakel naar Nederlands',
    logout: 'Log out',
    loading: 'Loading…',
    notAvailable: 'Not available on this server.',
    notAvailableRoute: '{what} is not available on this server (yet).',
    errorPrefix: 'Something went wrong',
    noData: 'no data',
    suppressed: 'suppressed',
    suppressedTitle: 'Suppressed by disclosure control (counts too small)',
    unreliable: 'unreliable (small base)',
    demoNote: 'Aggregates per neighbourhood and quarter only; never data about persons.',
    loginTitle: 'Log in',
    loginIntro:
      'Enter the API key your administrator gave you. The key is kept in this browser tab only.',
    loginKey: 'API key',
    loginSubmit: 'Log in',
    loginFailed: 'This key is unknown or revoked.',
    loginEmpty: 'Enter a key.',
    overviewTitle: 'Overview',
    municipality: 'Municipality',
    colourBy: 'Colour the map by',
    colourRisk: 'risk percentile',
    colourChange: 'change on the year before',
    mapTitle: 'Map of the neighbourhoods of {name}',
    mapLabel: 'Map: neighbourhoods coloured by {what}. The table beside it holds the same data.',
    tableTitle: 'Neighbourhoods ranked by risk, {period}',
    noModelRun: 'No risk model has been run yet. An analyst or admin can start a model run.',
    noGeometries: 'No neighbourhood boundaries are loaded for this municipality.',
    legendRisk: 'Risk percentile within the municipality',
    legendChange: 'Change of the 4-quarter rate',
    legendNoData: 'no data',
    legendSuppressed: 'suppressed',
    colRank: '#',
    colArea: 'Neighbourhood',
    colRisk: 'Risk',
    colInterval: '95% interval',
    colObserved: 'Observed',
    colExpected: 'Expected',
    colRatio: 'Observed/expected ratio',
    colObservedExpected: 'Observed / expected',
    colChange: 'Year-on-year change',
    colAlerts: 'Alerts',
    colPercentile: 'Percentile',
    riskSummary:
      'Risk is the predicted probability that a young person (13–18) becomes a drug-offence suspect in a quarter. Observed and expected are numbers of young people in {period}.',
    significant: 'significant (p < 0.05)',
    significantMark: 'significant',
    exportCsv: 'Export as CSV',
    sortBy: 'Sort by {column}',
    showTable: 'Show the data as a table',
    areaTitle: '{name}',
    areaIn: '{code} · district {district} · municipality {municipality}',
    backToOverview: 'Back to the overview',
    chartOutcome: 'Share of young people who become drug-offence suspects, per quarter',
    chartOutcomeNote:
      'The "expected" line is what the risk model expects from the three predictors; the band shows where 95% of quarters would fall if the model is right.',
    seriesObserved: 'observed',
    seriesExpected: 'expected (model)',
    seriesBand: '95% band',
    seriesBandLow: 'band low',
    seriesBandHigh: 'band high',
    chartPredictors: 'The three predictors, per quarter',
    predictorEarly: 'early school leaving',
    predictorHalt: 'HALT registration',
    predictorDebt: 'parents with problematic debt',
    chartYoy: 'Change on a year earlier (4 quarters summed)',
    chartYoyNote:
      'Each bar is the difference in percentage points between the last four quarters and the same four quarters a year before; * = significant (p < 0.05).',
    colPeriod: 'Quarter',
    colRate: 'Rate',
    colRatePrev: 'A year before',
    colPValue: 'p-value',
    colPAdjusted: 'p (adjusted)',
    colYouth: 'Young people 13–18',
    colSuspects: 'Suspects',
    trendTitle: 'Trend',
    trendRising:
      'The rate rises over the whole series (seasonal Mann-Kendall, p = {p}); the slope is {slope} percentage points a year.',
    trendFalling:
      'The rate falls over the whole series (seasonal Mann-Kendall, p = {p}); the slope is {slope} percentage points a year.',
    trendNone: 'There is no clear rising or falling trend (seasonal Mann-Kendall, p = {p}).',
    trendSuppressed: 'The trend test is suppressed for this neighbourhood.',
    trendMissing: 'Too few quarters for a trend test.',
    riskLine:
      'Risk in {period}: {risk} (95% interval {low} – {high}); rank {rank} of {total} neighbourhoods in the municipality.',
    alertsTitle: 'Alerts',
    noAlerts: 'No alerts.',
    interventionsTitle: 'Interventions',
    noInterventions: 'No interventions have been registered for this municipality yet.',
    interventionAreas: '{count} neighbourhoods',
    colName: 'Name',
    colDescription: 'Description',
    colStart: 'Start',
    colAreas: 'Neighbourhoods',
    method: 'Method',
    methodSc: 'synthetic control',
    methodDid: 'difference in differences (Callaway & Sant’Anna)',
    effectsLoading: 'Computing the effects; this can take a few seconds…',
    overallFall:
      'After the start the rate in the treated neighbourhoods was on average {att} percentage points a quarter lower than expected without the intervention (95% interval {low} to {high}; p = {p}).',
    overallRise:
      'After the start the rate in the treated neighbourhoods was on average {att} percentage points a quarter higher than expected without the intervention (95% interval {low} to {high}; p = {p}).',
    overallUnclear: 'That difference cannot be told apart from chance: the interval contains zero.',
    overallClear: 'The interval does not contain zero: the difference is unlikely to be chance.',
    overallSuppressed: 'The overall effect is suppressed by disclosure control.',
    warningsTitle: 'Warnings',
    chartSynthetic: '{name}: observed and synthetic control',
    chartSyntheticNote:
      'The synthetic control is a weighted mix of untreated neighbourhoods that resembled this one as closely as possible before the start. The vertical line is the start.',
    seriesSynthetic: 'synthetic control',
    startMarked: 'start {period}',
    chartEventStudy: 'Effect per quarter before and after the start (event study)',
    chartEventStudyNote:
      'Quarter 0 is the first quarter of the intervention. Points before 0 should lie around zero; the lines are 95% intervals.',
    colEventTime: 'Quarter relative to start',
    colEffect: 'Effect (percentage points)',
    colCiLow: 'Interval low',
    colCiHigh: 'Interval high',
    byAreaTitle: 'Per treated neighbourhood',
    colDonors: 'Main donor neighbourhoods',
    powerTitle: 'How large must an effect be to be seen?',
    powerIntro:
      'For a planned intervention: choose neighbourhoods, a start quarter and how long you will measure. The answer is simulated on the history of the data.',
    powerAreas: 'Neighbourhoods (Ctrl/Cmd for more)',
    powerStart: 'Start quarter',
    powerHorizon: 'Quarters to measure',
    powerEffect: 'Expected effect (%, optional; e.g. -20)',
    powerSubmit: 'Compute',
    powerAnswer:
      'With {areas} neighbourhoods and {horizon} quarters of measurement a fall or rise of {mde} or more ({abs} percentage points on a base of {base} a quarter) is seen with 80% probability.',
    powerAnswerNone:
      'With {areas} neighbourhoods and {horizon} quarters no effect within the range examined is seen with 80% probability.',
    powerAtEffect: 'An effect of {effect} is seen with probability {power}.',
    powerRunning: 'Simulating…',
    colRelativeEffect: 'Effect (relative)',
    colPower: 'Probability of seeing it',
    alertsPageTitle: 'Alerts',
    filterKind: 'Kind',
    filterState: 'State',
    stateFiring: 'firing',
    stateAcknowledged: 'firing, acknowledged',
    stateResolved: 'resolved',
    stateOpen: 'open (acknowledged too)',
    stateAll: 'open and recently resolved',
    colRule: 'Rule',
    kindAll: 'all kinds',
    kind_risk_percentile: 'high risk percentile',
    kind_yoy_rise: 'rise on the year before',
    kind_aberration: 'unusually high count',
    kind_trend: 'rising trend',
    colKind: 'Kind',
    colValue: 'Value',
    colThreshold: 'Threshold',
    colExplanation: 'Explanation',
    colSince: 'Since',
    colState: 'State',
    colAction: 'Action',
    acknowledge: 'Acknowledge',
    acknowledged: 'acknowledged',
    acknowledgeFailed: 'Could not acknowledge: {message}',
    rulesTitle: 'Alert rules',
    colParams: 'Settings',
    interventionsCaption: 'Registered interventions',
    uploadTitle: 'Upload data',
    uploadIntro:
      'Upload a CSV file of quarterly figures per neighbourhood (columns area_code, area_name, period, youth_population, early_school_leavers, halt_registrations, parental_debt, drug_offence_suspects). All or nothing: one error and nothing is stored. This needs an admin key (or an analyst key within its municipality).',
    uploadDrop: 'Drop a CSV file here or choose a file',
    uploadChoose: 'CSV file',
    uploadSending: 'Sending {file}…',
    uploadProcessing: 'Sent; the server is checking and storing…',
    uploadDone:
      '{file}: {rows} rows processed — {inserted} new, {revised} revised, {unchanged} unchanged.',
    uploadRejected: '{file} was rejected: {total} errors found. Nothing was stored.',
    uploadRejectedShown: 'The first {shown} errors:',
    uploadForbidden: 'This key may not upload here: {message}',
    colRow: 'Row',
    colColumn: 'Column',
    colMessage: 'Message',
  },
}

const storageKey = 'aanwas.lang'

/** @type {'nl' | 'en'} */
let language = 'nl'
try {
  const stored = localStorage.getItem(storageKey)
  if (stored === 'en' || stored === 'nl') language = stored
} catch {
  // storage unavailable: stay Dutch
}

export function currentLanguage() {
  return language
}

/** The BCP 47 locale for number and date formatting. */
export function locale() {
  return language === 'nl' ? 'nl-NL' : 'en-GB'
}

/** @param {'nl' | 'en'} next */
export function setLanguage(next) {
  language = next
  document.documentElement.lang = next
  try {
    localStorage.setItem(storageKey, next)
  } catch {
    // not kept: fine
  }
}

/**
 * The text for `key` in the current language, with `{name}` placeholders filled.
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
export function t(key, params) {
  const text = texts[language][key] ?? texts.nl[key] ?? key
  if (!params) return text
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    params[name] === undefined ? whole : String(params[name]),
  )
}
