// `npm run eval`: scores the three real data sets through the model and prints the evaluation tables.
import { evaluate, render } from './evaluate.ts';

console.log(render(evaluate()));
