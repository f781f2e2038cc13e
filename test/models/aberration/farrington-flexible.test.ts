import t, { type Test } from 'tap'
import fc from 'fast-check'
import {
  farringtonFlexible,
  farringtonFlexibleLatest,
  type FarringtonFlexibleResult,
  type FarringtonSeries,
} from '../../../models/aberration/farrington-flexible.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'

// ---------------------------------------------------------------------------------------------
// Reference: R 4.2.2, surveillance 1.20.3 (Debian r-cran-surveillance; its farringtonFlexible
// code is the same as 1.26's). Script (Rscript gen.R), run once; CI does not run R:
//
// suppressMessages(library(surveillance))
// options(digits = 15)
// run <- function(name, observed, population = NULL, range = 22:40, ...) {
//   s <- if (is.null(population)) {
//     sts(observed = matrix(observed, ncol = 1), frequency = 4, start = c(2010, 1))
//   } else {
//     sts(observed = matrix(observed, ncol = 1), population = matrix(population, ncol = 1), frequency = 4, start = c(2010, 1))
//   }
//   ctl <- list(range = range, b = 5, w = 1, alpha = 0.05, reweight = TRUE,
//     weightsThreshold = 2.58, trend = TRUE, pThresholdTrend = 0.05, limit54 = c(5, 4),
//     powertrans = "2/3", noPeriods = 1, populationOffset = TRUE, thresholdMethod = "delta")
//   ctl <- modifyList(ctl, list(...))
//   r <- farringtonFlexible(s, control = ctl)
//   cat("##", name, "\n")
//   cat("observed <- c(", paste(observed, collapse = ", "), ")\n")
//   cat("population <- c(", paste(population, collapse = ", "), ")\n")
//   cat("upperbound:", paste(format(upperbound(r)[, 1], digits = 15), collapse = ", "), "\n")
//   cat("expected:", paste(format(r@control$expected[, 1], digits = 15), collapse = ", "), "\n")
//   cat("alarm:", paste(alarms(r)[, 1], collapse = ", "), "\n")
//   cat("trend:", paste(r@control$trend[, 1], collapse = ", "), "\n")
//   cat("phi:", paste(format(r@control$phiVector[, 1], digits = 15), collapse = ", "), "\n")
//   cat("score:", paste(format(r@control$score[, 1], digits = 15), collapse = ", "), "\n")
//   invisible(r)
// }
// # Series A: stable seasonal, overdispersed, growing population
// set.seed(20240501)
// popA <- round(2000 * (1 + 0.01 * (0:39)))
// muA <- popA * 0.004 * (1 + 0.3 * sin(2 * pi * (0:39) / 4))
// obsA <- rnbinom(40, mu = muA, size = 20)
// run("A", obsA, popA)
// # Series B: rising trend, a past outbreak (reweighting) and a current outbreak (alarm)
// set.seed(20240502)
// popB <- round(1500 + 5 * (0:39))
// muB <- popB * 0.003 * exp(0.02 * (0:39))
// obsB <- rpois(40, muB)
// obsB[c(18, 19)] <- obsB[c(18, 19)] + c(14, 9)
// obsB[c(38, 40)] <- obsB[c(38, 40)] + c(12, 15)
// run("B", obsB, popB)
// run("B_noreweight", obsB, popB, reweight = FALSE)
// # Series C: low counts, limit54 blocks most time points
// set.seed(20240503)
// popC <- rep(c(400, 410, 405, 415), 10)
// obsC <- rpois(40, popC * 0.002)
// obsC[39] <- 4
// obsC[c(23, 26)] <- c(0, 4)
// run("C", obsC, popC)
// # Series D: missing quarters (NA) in the baseline, no population offset
// set.seed(20240504)
// obsD <- rnbinom(40, mu = 12 * (1 + 0.25 * cos(2 * pi * (0:39) / 4)), size = 10)
// obsD[c(5, 14, 23)] <- NA
// run("D", obsD, range = 30:40, populationOffset = FALSE)
//
// Printed output (range 22:40 in R's 1-based index = 0-based 21…39; series D 30:40 = 29…39):
//
// ## A
// observed <- c( 9, 13, 7, 3, 7, 9, 10, 5, 7, 12, 9, 6, 7, 4, 6, 8, 13, 9, 11, 6, 16, 13, 4, 10, 8, 15, 14, 7, 8, 18, 15, 7, 8, 21, 8, 9, 5, 17, 8, 10 )
// population <- c( 2000, 2020, 2040, 2060, 2080, 2100, 2120, 2140, 2160, 2180, 2200, 2220, 2240, 2260, 2280, 2300, 2320, 2340, 2360, 2380, 2400, 2420, 2440, 2460, 2480, 2500, 2520, 2540, 2560, 2580, 2600, 2620, 2640, 2660, 2680, 2700, 2720, 2740, 2760, 2780 )
// upperbound: 14.1113085791087, 12.7867887885915, 19.0497261665723, 20.6454869968978, 16.3599285324753, 14.3804834902698, 15.1659312960691, 21.2810564986017, 21.1600769620413, 18.4694302782698, 16.0040429057966, 22.7164018047943, 25.6470061300051, 23.9881997893637, 17.2120878493499, 20.6788524669042, 21.6896638422015, 23.6919733471559, 13.6566833291052
// expected:  8.73009708266951,  7.37906979887148, 12.60316481905096, 13.40976813072081, 10.10324483777675,  8.98947368421960,  9.27652173914222, 13.92494455419545, 13.40465708349183, 11.38069512831338,  9.76078431373913, 14.47547873012355, 16.77101731901442, 15.55931161744294, 10.31707317076117, 12.21075268822795, 13.22506666670546, 14.08121221145643,  7.59492529043398
// alarm: FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE
// trend: 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1
// phi: 1.00000000000000, 1.15241630820989, 1.00000000000000, 1.16689881113117, 1.19717427282994, 1.00234517380190, 1.15022188646703, 1.17459246665271, 1.35060192434834, 1.31172714872849, 1.22758442398206, 1.41353185868601, 1.42792600467228, 1.38295939215276, 1.40778007575523, 1.78638832360037, 1.66900662401438, 1.94254447165322, 1.39861724216600
// score:  0.793483571525838, -0.624860464327946, -0.403806724037748, -0.747647639546707,  0.782643873522387,  0.929422593547730, -0.386544986749082, -0.805445131745302,  0.592533091498798,  0.510571321275681, -0.442202460947451, -0.785771044268878,  0.476452006761099, -0.896833777273896, -0.191018182289170, -0.851519570705285,  0.445967274641552, -0.632750322850870,  0.396761912010138
// ## B
// observed <- c( 2, 2, 5, 4, 5, 6, 8, 5, 9, 2, 6, 5, 10, 7, 3, 7, 4, 24, 15, 6, 8, 6, 9, 3, 6, 7, 3, 7, 10, 10, 7, 7, 8, 8, 6, 11, 10, 22, 9, 29 )
// population <- c( 1500, 1505, 1510, 1515, 1520, 1525, 1530, 1535, 1540, 1545, 1550, 1555, 1560, 1565, 1570, 1575, 1580, 1585, 1590, 1595, 1600, 1605, 1610, 1615, 1620, 1625, 1630, 1635, 1640, 1645, 1650, 1655, 1660, 1665, 1670, 1675, 1680, 1685, 1690, 1695 )
// upperbound: 29.4660889713849, 27.5735602119538, 15.2265372873389, 11.5457984927543, 24.2071019767872, 18.5526784408982, 13.0075107314074, 11.8465467966630, 19.1080600712317, 18.7303421521339, 13.2377038865003, 12.2941220918109, 19.2362268373131, 15.4623768024806, 13.0193822957653, 14.2762470891087, 12.5496957379668, 12.3721674186985, 13.7196769864522
// expected: 17.61786068906614, 15.82847716759276,  9.07995551090123,  6.41562613774560, 12.21876142624674,  7.75201698513801,  7.19746031761356,  6.48441899738905,  8.23364879074658,  7.61006289308176,  7.05579937352914,  7.27622695109253,  8.92149534005090,  6.27712345150461,  7.12177502602205,  8.79670899044590,  5.63143918626499,  5.34858657117379,  8.01712538230278
// alarm: FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, TRUE, FALSE, TRUE
// trend: 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0
// phi: 2.27066071739575, 2.45513229653987, 1.20466151459407, 1.21330054188141, 3.21553752253997, 3.97879268245742, 1.38660230777563, 1.30386824038120, 3.84756085025133, 4.24580825098755, 1.57774144454988, 1.04994638795605, 3.29381093927280, 3.42174018868620, 1.43712508838072, 1.00000000000000, 2.27415380692686, 2.42609833940868, 1.22573007331364
// score: -0.98055678977789129, -0.58139028407050586, -0.98916043616440630, -0.08101601836823694, -0.43531975124042299, -0.43997462605437615, -0.03398599040462120,  0.65563170707848095,  0.16243189297274926, -0.05486039323923932, -0.00902624319286455,  0.14423837657234514, -0.08933779229207198, -0.03017047444588558,  0.65759295195436152,  0.21959716090809719,  2.36599505835159007,  0.51987917674686934,  3.67955891927907031
// ## B_noreweight
// observed <- c( 2, 2, 5, 4, 5, 6, 8, 5, 9, 2, 6, 5, 10, 7, 3, 7, 4, 24, 15, 6, 8, 6, 9, 3, 6, 7, 3, 7, 10, 10, 7, 7, 8, 8, 6, 11, 10, 22, 9, 29 )
// population <- c( 1500, 1505, 1510, 1515, 1520, 1525, 1530, 1535, 1540, 1545, 1550, 1555, 1560, 1565, 1570, 1575, 1580, 1585, 1590, 1595, 1600, 1605, 1610, 1615, 1620, 1625, 1630, 1635, 1640, 1645, 1650, 1655, 1660, 1665, 1670, 1675, 1680, 1685, 1690, 1695 )
// upperbound: 32.6378088571717, 30.5799881620550, 12.6885935265812, 17.6576207593472, 19.2287346234413, 18.9135680037971, 13.1919568222268, 17.8976914300882, 19.4727870084453, 19.1013562866037, 13.4340330295926, 18.1222160128456, 19.5822383622172, 19.2889104653540, 13.2059149055489, 18.0480916379112, 19.3879175764360, 19.5714203750729, 13.9018041470793
// expected: 17.61786068906614, 15.82847716759276,  6.92390139345195,  7.47692307692307,  8.44515441959532,  7.75201698513801,  7.19746031761356,  7.54261603375526,  8.23364879074658,  7.61006289308176,  7.05579937352914,  8.30000000481590,  8.92149534005090,  8.36728778467908,  7.12177502602205,  8.36543210185648,  9.05579487696465,  8.91656442767647,  8.01712538230278
// alarm: FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, TRUE, FALSE, TRUE
// trend: 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
// phi: 2.27066071739575, 2.45513229653987, 1.33303030661042, 3.47844714415959, 3.50734591884207, 3.97879268245742, 1.38660230777563, 3.56041347411773, 3.84756085025133, 4.24580825098755, 1.57774144454988, 3.01180027455176, 3.29381093927280, 3.61309478175370, 1.43712508838072, 2.91807061790569, 3.07890751068089, 3.29210981798726, 1.22573007331364
// score: -0.77349539153113622, -0.46290018494757679, -0.68067839579871969, -0.14507090997042585, -0.13401434331428252, -0.42574880293912082, -0.03294026737051267,  0.23731203030303272,  0.15716073377155143, -0.05308914081209274, -0.00874840536393629, -0.03054300623918796, -0.08643819085920050, -0.21675238688366796,  0.63743192148297101,  0.16881393919273771,  1.25281178897513712,  0.00783075554802923,  3.56567885120470240
// ## C
// observed <- c( 2, 1, 2, 2, 1, 2, 2, 2, 1, 0, 0, 2, 1, 1, 1, 0, 0, 1, 1, 0, 0, 3, 0, 0, 0, 4, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1, 4, 1 )
// population <- c( 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415 )
// upperbound:               NA,               NA,               NA,               NA,               NA, 3.09010501709486, 2.52087235223574, 3.70372811610417,               NA,               NA,               NA,               NA,               NA,               NA,               NA,               NA,               NA, 3.47511114239171, 1.91940643882567
// expected:                NA,                NA,                NA,                NA,                NA, 0.987804878066553, 0.680327869196240, 0.979591837788827,                NA,                NA,                NA,                NA,                NA,                NA,                NA,                NA,                NA, 0.921951219747012, 0.408196721390160
// alarm: FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, TRUE, FALSE
// trend: 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
// phi: 1.00000000000000, 1.00000000000000, 1.00000000000000, 1.00000000000000, 1.00000000000000, 1.00000000000000, 1.00000000000000, 1.55745771387768, 1.42572390202338, 1.42694283393924, 1.00000000000000, 1.41770780090941, 1.26311816463566, 1.28664816800676, 1.00000000000000, 1.81062044527336, 1.79314570996224, 1.44813575289841, 1.00000000000000
// score:  0.89825749247632003, -0.27852612325745635, -0.18003277637068482, -0.48927463752265443,  1.48524412189728983,  0.00580084722778149,  0.17368345821006673,  0.00749160839478772,  0.02157338464217265, -0.38067348660358086,  0.27122378627906907, -0.38039077579882224, -0.41503800208266584, -0.40486009549098123,  0.39142055311103496, -0.28417041758042261,  0.06838047915784871,  1.20558401099472801,  0.39160896848527271
// ## D
// observed <- c( 13, 11, 14, 21, NA, 5, 7, 14, 19, 14, 7, 17, 10, NA, 11, 20, 31, 13, 7, 11, 34, 11, NA, 19, 29, 12, 7, 25, 13, 11, 6, 7, 22, 10, 9, 9, 21, 36, 7, 14 )
// population <- c(  )
// upperbound: 33.8066367628280, 26.4450286973150, 41.9741309629038, 33.5617955937189, 28.7901396579858, 20.5701391008609, 30.6300666364485, 25.5177977182159, 23.0312043131441, 18.5048179267944, 28.3228458343596
// expected: 15.76923076923077, 15.42368776130771, 21.91170294788503, 18.28571428624187, 11.74893177434898, 10.21985121841504, 13.63551780126211, 12.43364707844565,  9.47562930125082,  9.39263825739437, 12.34196677752811
// alarm: FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, TRUE, FALSE, FALSE
// trend: 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1
// phi: 5.73008131055008, 2.32661133595552, 5.22766760821700, 3.77286519672691, 6.39130932274607, 2.91387502567789, 5.69666580868722, 3.84791797836328, 5.05645694669376, 2.48047666759956, 5.51044667775587
// score: -0.264407796272019, -0.855040036963198, -0.743265119093367,  0.243143882190528, -0.102629566301361, -0.117856742949529, -0.272764981654853,  0.654712190145248,  1.956713062741888, -0.262575842904985,  0.103751065043141
// ---------------------------------------------------------------------------------------------

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (inner !== null && typeof inner === 'object') deepFreeze(inner as object)
  }
  return Object.freeze(value)
}

const seriesA: FarringtonSeries = deepFreeze({
  observed: [
    9, 13, 7, 3, 7, 9, 10, 5, 7, 12, 9, 6, 7, 4, 6, 8, 13, 9, 11, 6, 16, 13, 4, 10, 8, 15, 14, 7, 8,
    18, 15, 7, 8, 21, 8, 9, 5, 17, 8, 10,
  ],
  population: [
    2000, 2020, 2040, 2060, 2080, 2100, 2120, 2140, 2160, 2180, 2200, 2220, 2240, 2260, 2280, 2300,
    2320, 2340, 2360, 2380, 2400, 2420, 2440, 2460, 2480, 2500, 2520, 2540, 2560, 2580, 2600, 2620,
    2640, 2660, 2680, 2700, 2720, 2740, 2760, 2780,
  ],
  frequency: 4,
})
const seriesB: FarringtonSeries = deepFreeze({
  observed: [
    2, 2, 5, 4, 5, 6, 8, 5, 9, 2, 6, 5, 10, 7, 3, 7, 4, 24, 15, 6, 8, 6, 9, 3, 6, 7, 3, 7, 10, 10,
    7, 7, 8, 8, 6, 11, 10, 22, 9, 29,
  ],
  population: [
    1500, 1505, 1510, 1515, 1520, 1525, 1530, 1535, 1540, 1545, 1550, 1555, 1560, 1565, 1570, 1575,
    1580, 1585, 1590, 1595, 1600, 1605, 1610, 1615, 1620, 1625, 1630, 1635, 1640, 1645, 1650, 1655,
    1660, 1665, 1670, 1675, 1680, 1685, 1690, 1695,
  ],
  frequency: 4,
})
const seriesC: FarringtonSeries = deepFreeze({
  observed: [
    2, 1, 2, 2, 1, 2, 2, 2, 1, 0, 0, 2, 1, 1, 1, 0, 0, 1, 1, 0, 0, 3, 0, 0, 0, 4, 1, 1, 1, 1, 0, 1,
    0, 0, 0, 1, 0, 1, 4, 1,
  ],
  population: [
    400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405,
    415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410, 405, 415, 400, 410,
    405, 415,
  ],
  frequency: 4,
})
const seriesD: FarringtonSeries = deepFreeze({
  observed: [
    13,
    11,
    14,
    21,
    null,
    5,
    7,
    14,
    19,
    14,
    7,
    17,
    10,
    null,
    11,
    20,
    31,
    13,
    7,
    11,
    34,
    11,
    null,
    19,
    29,
    12,
    7,
    25,
    13,
    11,
    6,
    7,
    22,
    10,
    9,
    9,
    21,
    36,
    7,
    14,
  ],

  frequency: 4,
})

interface RReference {
  upperbound: (number | null)[]
  trend: boolean[]
  phi: number[]
  alarm: boolean[]
}

// The printed R output above, per run.
const reference: Record<string, RReference> = {
  A: {
    upperbound: [
      14.1113085791087, 12.7867887885915, 19.0497261665723, 20.6454869968978, 16.3599285324753,
      14.3804834902698, 15.1659312960691, 21.2810564986017, 21.1600769620413, 18.4694302782698,
      16.0040429057966, 22.7164018047943, 25.6470061300051, 23.9881997893637, 17.2120878493499,
      20.6788524669042, 21.6896638422015, 23.6919733471559, 13.6566833291052,
    ],
    trend: [
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      true,
      true,
      true,
      false,
      true,
      true,
      true,
      false,
      false,
      false,
      true,
      true,
    ],
    phi: [
      1.0, 1.15241630820989, 1.0, 1.16689881113117, 1.19717427282994, 1.0023451738019,
      1.15022188646703, 1.17459246665271, 1.35060192434834, 1.31172714872849, 1.22758442398206,
      1.41353185868601, 1.42792600467228, 1.38295939215276, 1.40778007575523, 1.78638832360037,
      1.66900662401438, 1.94254447165322, 1.398617242166,
    ],
    alarm: [
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ],
  },
  B: {
    upperbound: [
      29.4660889713849, 27.5735602119538, 15.2265372873389, 11.5457984927543, 24.2071019767872,
      18.5526784408982, 13.0075107314074, 11.846546796663, 19.1080600712317, 18.7303421521339,
      13.2377038865003, 12.2941220918109, 19.2362268373131, 15.4623768024806, 13.0193822957653,
      14.2762470891087, 12.5496957379668, 12.3721674186985, 13.7196769864522,
    ],
    trend: [
      true,
      true,
      true,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
      true,
      true,
      true,
      false,
    ],
    phi: [
      2.27066071739575, 2.45513229653987, 1.20466151459407, 1.21330054188141, 3.21553752253997,
      3.97879268245742, 1.38660230777563, 1.3038682403812, 3.84756085025133, 4.24580825098755,
      1.57774144454988, 1.04994638795605, 3.2938109392728, 3.4217401886862, 1.43712508838072, 1.0,
      2.27415380692686, 2.42609833940868, 1.22573007331364,
    ],
    alarm: [
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
      true,
    ],
  },
  B_noreweight: {
    upperbound: [
      32.6378088571717, 30.579988162055, 12.6885935265812, 17.6576207593472, 19.2287346234413,
      18.9135680037971, 13.1919568222268, 17.8976914300882, 19.4727870084453, 19.1013562866037,
      13.4340330295926, 18.1222160128456, 19.5822383622172, 19.288910465354, 13.2059149055489,
      18.0480916379112, 19.387917576436, 19.5714203750729, 13.9018041470793,
    ],
    trend: [
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ],
    phi: [
      2.27066071739575, 2.45513229653987, 1.33303030661042, 3.47844714415959, 3.50734591884207,
      3.97879268245742, 1.38660230777563, 3.56041347411773, 3.84756085025133, 4.24580825098755,
      1.57774144454988, 3.01180027455176, 3.2938109392728, 3.6130947817537, 1.43712508838072,
      2.91807061790569, 3.07890751068089, 3.29210981798726, 1.22573007331364,
    ],
    alarm: [
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
      true,
    ],
  },
  C: {
    upperbound: [
      null,
      null,
      null,
      null,
      null,
      3.09010501709486,
      2.52087235223574,
      3.70372811610417,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      3.47511114239171,
      1.91940643882567,
    ],
    trend: [
      false,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ],
    phi: [
      1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.55745771387768, 1.42572390202338, 1.42694283393924, 1.0,
      1.41770780090941, 1.26311816463566, 1.28664816800676, 1.0, 1.81062044527336, 1.79314570996224,
      1.44813575289841, 1.0,
    ],
    alarm: [
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
    ],
  },
  D: {
    upperbound: [
      33.806636762828, 26.445028697315, 41.9741309629038, 33.5617955937189, 28.7901396579858,
      20.5701391008609, 30.6300666364485, 25.5177977182159, 23.0312043131441, 18.5048179267944,
      28.3228458343596,
    ],
    trend: [false, true, true, false, true, true, true, true, true, true, true],
    phi: [
      5.73008131055008, 2.32661133595552, 5.227667608217, 3.77286519672691, 6.39130932274607,
      2.91387502567789, 5.69666580868722, 3.84791797836328, 5.05645694669376, 2.48047666759956,
      5.51044667775587,
    ],
    alarm: [false, false, false, false, false, false, false, false, true, false, false],
  },
}

// The contract is R's upper bound within 1% (issue 8); we hold 1e-6 relative, far inside it
// (the implementation follows glm.fit step for step and agrees to about 1e-14).
const rTolerance = 1e-6

const fullRange = Array.from({ length: 19 }, (_, i) => 21 + i)
const rangeD = Array.from({ length: 11 }, (_, i) => 29 + i)

function compareWithR(t: Test, results: FarringtonFlexibleResult[], expected: RReference): void {
  results.forEach((result, i) => {
    const bound = expected.upperbound[i]
    if (bound === null) {
      t.equal(result.upperbound, null, `index ${result.index}: R withholds the bound (NA)`)
    } else {
      t.ok(
        result.upperbound !== null && withinRelative(result.upperbound, bound, rTolerance),
        `index ${result.index} upperbound: ${describeGap(result.upperbound ?? Number.NaN, bound)}`,
      )
    }
    t.equal(result.trend_used, expected.trend[i], `index ${result.index} trend`)
    t.ok(
      result.phi !== null && withinRelative(result.phi, expected.phi[i], rTolerance),
      `index ${result.index} phi: ${describeGap(result.phi ?? Number.NaN, expected.phi[i])}`,
    )
    t.equal(result.alarm, expected.alarm[i], `index ${result.index} alarm`)
  })
}

t.test('farringtonFlexible', async (t) => {
  t.test(
    'when series A (stable, seasonal, growing population) is run, then it equals R',
    async (t) => {
      // Source: the R output "## A" above; trend kept at some quarters and dropped at others.
      const results = farringtonFlexible(seriesA, { range: fullRange })
      compareWithR(t, results, reference.A)
      t.ok(results.some((r) => r.trend_used) && results.some((r) => !r.trend_used))
      // Known truth: a stable series stays quiet at every quarter.
      t.notOk(results.some((r) => r.alarm))
    },
  )

  t.test(
    'when series B (past outbreak, current outbreak) is run, then it equals R and alarms',
    async (t) => {
      // Source: the R output "## B" above; alarms at 0-based 37 and 39 (R's k = 38 and 40),
      // the quarters where 12 and 15 cases were planted.
      const results = farringtonFlexible(seriesB, { range: fullRange })
      compareWithR(t, results, reference.B)
      t.same(
        results.filter((r) => r.alarm).map((r) => r.index),
        [37, 39],
      )
    },
  )

  t.test(
    'when reweighting is switched off, then it equals R without reweighting and bounds change',
    async (t) => {
      // Source: the R output "## B_noreweight" above (same call, reweight = FALSE).
      const plain = farringtonFlexible(seriesB, { range: fullRange, reweight: false })
      compareWithR(t, plain, reference.B_noreweight)
      const reweighted = farringtonFlexible(seriesB, { range: fullRange })
      // Source: R, "## B" vs "## B_noreweight": the 2014 outbreak (0-based 17, 18) is downweighted
      // from 0-based 21 on, e.g. 0-based 24: 11.5457984927543 with, 17.6576207593472 without.
      t.not(reweighted[3].upperbound, plain[3].upperbound)
    },
  )

  t.test(
    'when there are too few cases in the last 4 quarters, then limit54 withholds the bound',
    async (t) => {
      // Source: the R output "## C" above: NA bounds wherever fewer than 5 cases in 4 quarters.
      const results = farringtonFlexible(seriesC, { range: fullRange })
      compareWithR(t, results, reference.C)
      // Source: R, series C at k = 26 (0-based 25): 4 cases against about 0.9 expected, score
      // 1.48524412189729 > 1, but 0 + 0 + 0 + 4 < 5 cases, so no bound and no alarm.
      const blocked = results[4]
      t.equal(blocked.index, 25)
      t.equal(blocked.reason, 'too_few_cases')
      t.equal(blocked.upperbound, null)
      t.equal(blocked.alarm, false)
      t.ok(blocked.score !== null && withinRelative(blocked.score, 1.48524412189729, rTolerance))
    },
  )

  t.test(
    'when quarters are missing (null), then they are left out of the baseline as R does',
    async (t) => {
      // Source: the R output "## D" above: NA at R's 5, 14, 23, no population offset.
      const results = farringtonFlexible(seriesD, { range: rangeD })
      compareWithR(t, results, reference.D)
    },
  )

  t.test('when the current count is missing, then there is a bound but no alarm', async (t) => {
    const observed = [...seriesB.observed]
    observed[39] = null
    const [result] = farringtonFlexible({ ...seriesB, observed }, { range: [39] })
    t.equal(result.alarm, false)
    t.equal(result.reason, 'missing_observation')
    t.equal(result.score, null)
    // Source: the R output "## B" above: the bound does not depend on y_k, 13.7196769864522.
    t.ok(
      result.upperbound !== null && withinRelative(result.upperbound, 13.7196769864522, rTolerance),
    )
  })

  t.test(
    'when the last quarter of many areas is asked, then the one-pass helper matches',
    async (t) => {
      const latest = farringtonFlexibleLatest([seriesA, seriesB, seriesC, seriesD])
      const oneByOne = [seriesA, seriesB, seriesC, seriesD].map(
        (series) => farringtonFlexible(series, { range: [39] })[0],
      )
      t.same(latest, oneByOne)
      // Source: R, last quarter: A quiet, B alarms (29 against 13.72), C quiet, D quiet.
      t.same(
        latest.map((r) => r.alarm),
        [false, true, false, false],
      )
      const short = farringtonFlexibleLatest([{ observed: [1, 2, 3], frequency: 4 }])
      t.equal(short[0].reason, 'series_too_short')
    },
  )

  t.test('when alpha grows, then no upper bound grows', async (t) => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 0.3, noNaN: true }),
        fc.double({ min: 0.001, max: 0.3, noNaN: true }),
        fc.constantFrom(seriesA, seriesB, seriesD),
        (alphaOne, alphaTwo, series) => {
          const [small, large] = alphaOne < alphaTwo ? [alphaOne, alphaTwo] : [alphaTwo, alphaOne]
          const strict = farringtonFlexible(series, { range: [36, 39], alpha: small })
          const loose = farringtonFlexible(series, { range: [36, 39], alpha: large })
          return strict.every(
            (result, i) => (result.upperbound ?? 0) >= (loose[i].upperbound ?? 0) - 1e-9,
          )
        },
      ),
      { numRuns: 50 },
    )
    t.pass('property held')
  })

  t.test('when the input is frozen, then evaluation succeeds without mutating it', async (t) => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(null)), {
          minLength: 22,
          maxLength: 40,
        }),
        (observed) => {
          const series = deepFreeze({ observed: [...observed], frequency: 4 })
          const results = farringtonFlexible(series)
          return (
            results.length === observed.length - 21 &&
            results.every((r) => typeof r.alarm === 'boolean')
          )
        },
      ),
      { numRuns: 100 },
    )
    t.pass('property held')
  })

  t.test(
    'when asked too early or without population, then it throws naming the rule',
    async (t) => {
      t.throws(() => farringtonFlexible(seriesA, { range: [20] }), {
        name: 'RangeError',
        message: /farringtonFlexible requires range indices from b × frequency \+ w \(21\)/,
      })
      t.throws(() => farringtonFlexible(seriesD, { populationOffset: true }), {
        name: 'TypeError',
        message: /farringtonFlexible requires a population for the population offset/,
      })
      t.throws(() => farringtonFlexible(seriesA, { alpha: 0 }), {
        message: /farringtonFlexible requires alpha in \(0, 1\)/,
      })
    },
  )
})
