// `npm run eval`: scores the three real data sets through the model and prints the evaluation tables.
// `npm run eval -- --fit`: the calibration search on the fit halves instead.
import { evaluate, render } from './evaluate.ts';
import { fit } from './fit.ts';

console.log(process.argv.includes('--fit') ? fit() : render(evaluate()));
