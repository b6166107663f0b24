import type { RunReport } from './report.ts'

/**
 * The run as JUnit XML, the format CI systems (GitLab, Jenkins, GitHub test reporters) read: one
 * test suite per scenario, one test case per expectation, a failure carrying its detail. The
 * suite's time is the run's wall time; expectations are judged at the end, so cases take none.
 */
export function renderJunit(report: RunReport): string {
  const failures = report.expectations.filter((e) => !e.passed).length
  const suite = `wardlab.${report.scenario}`
  const cases = report.expectations.map((e) => {
    const open = `    <testcase classname="${xml(suite)}" name="${xml(e.name)}" time="0">`
    return e.passed
      ? `${open}\n      <system-out>${xml(e.detail)}</system-out>\n    </testcase>`
      : `${open}\n      <failure message="${xml(e.detail)}" type="expectation">${xml(e.detail)}</failure>\n    </testcase>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="wardlab run" tests="${report.expectations.length}" failures="${failures}" time="${report.wallSeconds.toFixed(3)}">`,
    `  <testsuite name="${xml(suite)}" tests="${report.expectations.length}" failures="${failures}" errors="0" skipped="0" time="${report.wallSeconds.toFixed(3)}">`,
    `    <properties><property name="seed" value="${xml(String(report.seed))}"/><property name="mqttVersion" value="${xml(report.target.mqttVersion)}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

/** Control characters XML 1.0 does not allow in a document (§2.2, Char). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching these characters in order to remove them is the point.
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g

/** Text and attribute values: the five XML specials, and control characters XML 1.0 does not allow. */
function xml(text: string): string {
  return text.replace(XML_FORBIDDEN, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}
