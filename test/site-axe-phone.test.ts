// axe-core on every page of the lesson site at 390 px, light and dark: one half
// of the sweep (test/site-browser-kit.ts), in its own file so that vitest runs
// the two halves side by side.
import { describeAxeSweep } from './site-browser-kit.ts';

describeAxeSweep('phone');
