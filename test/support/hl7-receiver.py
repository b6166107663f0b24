#!/usr/bin/env python3
"""An HL7 v2 receiver built on Debian's python-hl7 (hl7.mllp, asyncio), for wardlab's HL7 tests.

It stands in for the hospital's integration engine: every message is parsed with python-hl7,
checked (MSH-9, MSH-10, MSH-12 = 2.6, a numeric MSH-13) and answered as the plan says. Each
message is reported on stdout as one JSON line with all its fields, unescaped by python-hl7, so
the test asserts on what a third-party parser read, not on what wardlab meant to write.

    python3 test/support/hl7-receiver.py '<plan as JSON>'

Plan:
    {
      "port": 0,                      0 picks a free port; reported in the first line
      "default": "AA",                answer to messages no rule matches
      "rules": [                      first match wins, by MSH-13 sequence number
        {"seq": 3, "ack": "AE", "times": 2, "reason": "simulated error"},
        {"seq": 5, "ack": "none", "times": 1}          "none": no answer at all
      ],
      "delayMs": 0,                   wait before each answer (a slow receiver)
      "tls": {"cert": "cert.pem", "key": "key.pem"},  MLLP over TLS when present
      "report": "full"                "none": no line per message (benchmarks), still parsed and checked
    }

Output lines:
    {"event": "listening", "port": 2575}
    {"event": "message", "seq": 1, "controlId": "...", "type": "ORU^R01^ORU_R01", "ack": "AA",
     "segments": [{"id": "MSH", "fields": {"9": [["ORU", "R01", "ORU_R01"]], ...}}, ...]}
    {"event": "invalid", "controlId": "...", "problems": ["..."]}   (answered AR)
"""
import asyncio
import json
import ssl
import sys

import hl7
import hl7.mllp

plan = json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read())
rules = [dict(rule) for rule in plan.get("rules", [])]


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def field_values(message, raw):
    """A field as repetitions of components, each unescaped by python-hl7."""
    return [[message.unescape(component) for component in repetition.split("^")] for repetition in raw.split("~")]


def segments_of(message):
    out = []
    for segment in message:
        seg_id = str(segment[0])
        fields = {}
        for index in range(1, len(segment)):
            raw = str(segment(index))
            if raw == "":
                continue
            # MSH-1 and MSH-2 are the separators themselves, not values.
            fields[str(index)] = [[raw]] if seg_id == "MSH" and index <= 2 else field_values(message, raw)
        out.append({"id": seg_id, "fields": fields})
    return out


def problems_of(message):
    msh = message.segment("MSH")
    found = []
    if not str(msh(9)):
        found.append("MSH-9 message type missing")
    if not str(msh(10)):
        found.append("MSH-10 control id missing")
    if str(msh(12)) != "2.6":
        found.append("MSH-12 is %r, not 2.6" % str(msh(12)))
    if not str(msh(13)).isdigit():
        found.append("MSH-13 sequence number is %r" % str(msh(13)))
    return found


def answer_for(seq):
    for rule in rules:
        if rule.get("seq") == seq and rule.get("times", 1) > 0:
            rule["times"] = rule.get("times", 1) - 1
            return rule.get("ack", "AA"), rule.get("reason")
    return plan.get("default", "AA"), None


async def handle(reader, writer):
    try:
        while not writer.is_closing():
            message = await reader.readmessage()
            msh = message.segment("MSH")
            control_id = str(msh(10))
            problems = problems_of(message)
            if problems:
                emit({"event": "invalid", "controlId": control_id, "problems": problems})
                code, reason = "AR", "; ".join(problems)
            else:
                seq = int(str(msh(13)))
                code, reason = answer_for(seq)
                if plan.get("report", "full") == "full":
                    emit({"event": "message", "seq": seq, "controlId": control_id, "type": str(msh(9)), "ack": code,
                          "segments": segments_of(message)})
            if code == "none":
                continue
            if plan.get("delayMs"):
                await asyncio.sleep(plan["delayMs"] / 1000)
            ack = message.create_ack(code)
            if reason:
                # ERR-8 user message; python-hl7 escapes nothing by itself, the text is plain.
                ack = hl7.parse(str(ack) + "\rERR|||207^Application internal error^HL70357|E||||" + reason)
            writer.writemessage(ack)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionResetError):
        pass
    finally:
        writer.close()


async def main():
    context = None
    if plan.get("tls"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(plan["tls"]["cert"], plan["tls"]["key"])
    server = await hl7.mllp.start_hl7_server(handle, host="127.0.0.1", port=plan.get("port", 0), ssl=context)
    emit({"event": "listening", "port": server.sockets[0].getsockname()[1]})
    async with server:
        await server.serve_forever()


try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
