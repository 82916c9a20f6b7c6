/**
 * The guided tour's steps built from what the editor holds (nodes/editor/browser/tour.ts) and the tour
 * version an account has seen, kept in its user settings (nodes/editor/tour-seen.ts).
 */
import assert from 'node:assert/strict';
import { ADD_STOP_BUTTON_CLASS, hubTour, TOUR_VERSION } from '../../nodes/editor/browser/tour';
import type { TourActions, TourScene } from '../../nodes/editor/browser/tour';
import { seenVersion, withTourSeen } from '../../nodes/editor/tour-seen';

const noActions: TourActions = {
  showTab: () => undefined,
  showSidebar: () => undefined,
  reveal: () => undefined,
  whenShown: (_s, done) => done(),
  offerStopButtons: () => undefined,
  stopOffering: () => undefined,
};

const scene: TourScene = {
  lineTab: 'f4c70e0000000001',
  dashboardTab: 'f4c70ed000000001',
  reader: 'f4c70e0000000022',
  oee: 'f4c70e0000000052',
  erpPost: 'f4c70e0000000071',
  stopMachine: 'demo/packaging/line1/labeller',
  stopTag: 'demo/packaging/line1/labeller/forceStop',
  tagMaps: true,
  erpPage: 'http://127.0.0.1:5080/',
  dashboardUrl: 'ui/',
  canDeploy: true,
};

const stopStep = (s: TourScene) => hubTour(s, noActions).steps.find((x) => x.title === 'Force a stop');

describe('guided tour: steps from the editor, the version seen per account', () => {
  it('walks the line, tag maps, dashboard, a forced stop, its reason and the ERP, each pointing at its node or tab', () => {
    const tour = hubTour(scene, noActions);
    assert.equal(tour.version, TOUR_VERSION);
    assert.deepEqual(
      tour.steps.map((s) => s.title),
      ['Welcome to the Factory Hub', 'The demo line', 'A machine', 'Tag maps', 'The dashboard', 'Force a stop', 'Name the stop', 'In the ERP'],
    );
    const byTitle = Object.fromEntries(tour.steps.map((s) => [s.title, s]));
    assert.equal(byTitle['The demo line'].element, '#red-ui-tab-f4c70e0000000001');
    assert.equal(byTitle['A machine'].element, '#red-ui-workspace-chart [id="f4c70e0000000022"]');
    assert.equal(byTitle['Tag maps'].element, '#red-ui-tab-fh-tag-maps');
    assert.match(byTitle['In the ERP'].description, /href="http:\/\/127\.0\.0\.1:5080\/"/);
  });

  it('offers the stop buttons only to an account that may deploy, and points at stop buttons already there', () => {
    assert.match(stopStep(scene)?.description ?? '', new RegExp(ADD_STOP_BUTTON_CLASS));
    assert.doesNotMatch(stopStep({ ...scene, canDeploy: false })?.description ?? '', new RegExp(ADD_STOP_BUTTON_CLASS));
    const existing = stopStep({ ...scene, stopInject: 'aa01' });
    assert.equal(existing?.element, '#red-ui-workspace-chart [id="aa01"]');
    assert.doesNotMatch(existing?.description ?? '', new RegExp(ADD_STOP_BUTTON_CLASS));
  });

  it('still has a step for each part when the editor lacks it (no demo tab, no Tag maps sidebar), without targets', () => {
    const bare = hubTour({ tagMaps: false, dashboardUrl: 'ui/', canDeploy: false }, noActions);
    assert.ok(bare.steps.some((s) => s.title === 'Tag maps' && s.element === undefined));
    assert.ok(bare.steps.every((s) => s.element === undefined));
  });

  it('escapes what it shows from the flows', () => {
    const step = stopStep({ ...scene, canDeploy: false, stopTag: 'a/<b>/forceStop', stopMachine: 'a/<b>' });
    assert.doesNotMatch(step?.description ?? '', /<b>/);
  });

  it('keeps the seen version with the rest of the user settings, and takes only a version', () => {
    assert.deepEqual(withTourSeen({ editor: { view: { x: 1 } }, factoryhub: { other: true } }, '1'), { editor: { view: { x: 1 } }, factoryhub: { other: true, tour: '1' } });
    assert.deepEqual(withTourSeen(undefined, '2'), { factoryhub: { tour: '2' } });
    assert.deepEqual(withTourSeen({ factoryhub: 'junk' }, '1'), { factoryhub: { tour: '1' } });
    assert.equal(seenVersion({ seen: '1.2' }), '1.2');
    for (const bad of [null, {}, { seen: 1 }, { seen: '' }, { seen: 'x'.repeat(40) }, { seen: '../1' }]) assert.throws(() => seenVersion(bad), /must be \{"seen"/);
  });
});
