import { broker } from './broker.ts'
import { hl7 } from './hl7.ts'
import { jsonl } from './jsonl.ts'
import type { SinkType } from './sink.ts'
import { stdout } from './stdout.ts'

/** Every sink type a pipeline file may declare. Adding a sink is one file in this folder exporting a SinkType, and one line here. */
export const SINK_TYPES: readonly SinkType<any>[] = [broker, jsonl, stdout, hl7]
