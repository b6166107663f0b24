/**
 * The layer rule of ARCHITECTURE.md, checked on every `npm test` (test/architecture.test.ts).
 * Layers, bottom to top; a module may import its own layer and the layers below, never above:
 *   0 contract   src/contract, src/util, src/types — what two sides agree on; imports no project code
 *   1 core       src/registry, src/security, src/broker, src/pipeline, src/clinical, src/hl7, src/cluster
 *   2 drivers    src/simulation, devices, src/attacks, src/capture
 *   3 tools      src/scenarios, src/bench, src/dashboard, src/report, src/ops, src/reliability
 *   4 wiring     src/lab, src/cli
 */
const layer = (...folders) => `^(${folders.join('|')})/`
const CONTRACT = layer('src/contract', 'src/util', 'src/types')
const CORE = layer('src/registry', 'src/security', 'src/broker', 'src/pipeline', 'src/clinical', 'src/hl7', 'src/cluster')
const DRIVERS = layer('src/simulation', 'devices', 'src/attacks', 'src/capture')
const TOOLS = layer('src/scenarios', 'src/bench', 'src/dashboard', 'src/report', 'src/ops', 'src/reliability')
const WIRING = layer('src/lab', 'src/cli')

const upward = (name, from, ...above) => ({
  name,
  severity: 'error',
  comment: `${name}: a module may not import a layer above its own (ARCHITECTURE.md, "Layers")`,
  from: { path: from },
  // Keep the trailing slash: without it `src/cli` would also match `src/clinical`.
  to: { path: `^(${above.map((a) => a.slice(2, -2)).join('|')})/` },
})

module.exports = {
  forbidden: [
    {
      name: 'contract-imports-nothing',
      severity: 'error',
      comment: 'src/contract is the bottom: everything two sides agree on, importing no other project code',
      from: { path: '^src/contract/' },
      to: { path: '^(src|devices)/', pathNot: '^src/contract/' },
    },
    upward('util-is-bottom', '^(src/util|src/types)/', CORE, DRIVERS, TOOLS, WIRING, '^(src/contract)/'),
    upward('core-below-drivers', CORE, DRIVERS, TOOLS, WIRING),
    upward('drivers-below-tools', DRIVERS, TOOLS, WIRING),
    upward('tools-below-wiring', TOOLS, WIRING),
    {
      name: 'pipeline-never-loads-simulation',
      severity: 'error',
      comment: 'the pipeline, detectors and clinical code work on real devices\' traffic: never the simulator or a device\'s behaviour, even indirectly',
      from: { path: '^src/(pipeline|security|clinical)/' },
      to: { path: '^(src/simulation|devices)/', reachable: true },
    },
    {
      name: 'security-below-pipeline',
      severity: 'error',
      comment: 'the pipeline runs detectors; detectors do not know the pipeline',
      from: { path: '^src/security/' },
      to: { path: '^src/pipeline/' },
    },
    {
      name: 'pipeline-does-not-choose-detectors',
      severity: 'error',
      comment: 'the pipeline runs the detectors it is given; which ones, and their thresholds, the wiring decides (src/lab/lab-pipeline.ts), in workers too',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/security/(config|create-detectors|monitor)\\.ts$|^src/security/detectors/' },
    },
    {
      name: 'pipeline-does-not-drive-broker',
      severity: 'error',
      comment: 'the broker hands messages to the pipeline through the wiring; the pipeline does not import the broker',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/broker/' },
    },
    {
      name: 'clinical-is-pure',
      severity: 'error',
      comment: 'clinical scoring and mappings (NEWS2, FHIR, HL7) depend only on contracts',
      from: { path: '^src/clinical/' },
      to: { path: '^src/', pathNot: '^src/(clinical|contract|util)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'an import cycle hides which module is the lower one',
      from: { path: '^(src|devices)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|test)/' },
  },
}
