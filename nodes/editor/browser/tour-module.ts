/// <reference lib="dom" />
/**
 * The entry of resources/hub-tour.js, an ES module as Node-RED's tour guide imports tours
 * (RED.tourGuide.run(url)): its default export is the hub's tour (tour.ts, tour-scene.ts).
 */
import { liveTour } from './tour-scene';

export default liveTour();
