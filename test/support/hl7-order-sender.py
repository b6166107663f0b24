#!/usr/bin/env python3
"""An Infusion Order Programmer built on Debian's python-hl7: sends IHE PCD-03 RGV^O15 orders
over MLLP and reports the two replies of each (the commit ACK, then RRG^O16), for wardlab's
HL7 order tests.

    python3 test/support/hl7-order-sender.py '{"port": 2575, "orders": [{...}, ...]}'

An order:
    {"controlId": "ORD1", "patientId": "p-01", "ward": "ICU", "room": "1", "bed": "1A",
     "drug": ["noradrenaline", "Noradrenaline", "99WLD"], "rate": 5, "rateUnits": "265266^MDC_DIM_MILLI_L_PER_HR^MDC",
     "vtbi": 50, "device": "0123456789ABCDEF"}

One JSON line per order: [{"type": "ACK^O15^ACK", "msa": ["CA", "ORD1"], "err": []},
                          {"type": "RRG^O16^RRG_O16", "msa": ["AE", "ORD1"], "err": ["207^...", "E", ..., "reason"]}]
"""
import asyncio
import datetime
import json
import sys

import hl7
import hl7.mllp

job = json.loads(sys.argv[1])


def escape(text):
    """HL7 escapes (v2.6 ch. 2.7), done here so the order is python's own work, not wardlab's."""
    return (str(text).replace("\\", "\\E\\").replace("|", "\\F\\").replace("^", "\\S\\")
            .replace("&", "\\T\\").replace("~", "\\R\\"))


def rgv_o15(order):
    now = datetime.datetime.utcnow().strftime("%Y%m%d%H%M%S")
    drug = "^".join(escape(part) for part in order["drug"])
    segments = [
        "MSH|^~\\&|PYTHON_IOP|PHARMACY|WARDLAB|WARD|%s||RGV^O15^RGV_O15|%s|P|2.6|||AL|AL|||||IHE_PCD_RGV_O15^IHE PCD^1.3.6.1.4.1.19376.1.6.1.3.1^ISO"
        % (now, order["controlId"]),
        "PID|||%s^^^HOSPITAL^MR||TEST^PATIENT" % escape(order.get("patientId", "")),
        "PV1||I|%s^%s^%s" % (escape(order.get("ward", "")), escape(order.get("room", "")), escape(order.get("bed", ""))),
        "ORC|RE|%s^PYTHON_IOP" % order["controlId"],
        # RXG-4 give code, RXG-5 amount (VTBI), RXG-7 its unit, RXG-15 rate, RXG-16 rate unit.
        "RXG|1||%s|%s|%s||%s||||||||%s|%s" % (
            now, drug, order.get("vtbi", ""), "263762^MDC_DIM_MILLI_L^MDC" if order.get("vtbi") else "",
            order.get("rate", ""), order.get("rateUnits", "265266^MDC_DIM_MILLI_L_PER_HR^MDC")),
        "RXR|IV^Intravenous^HL70162",
    ]
    if order.get("device"):
        segments.append("OBX|1||69986^MDC_DEV_PUMP_INFUS_VMD^MDC|1.1.0.0|||||||F|||||||%s^^%s^EUI-64" % (order["device"], order["device"]))
    return hl7.parse("\r".join(segments))


def reply_of(message):
    msh = message.segment("MSH")
    msa = message.segment("MSA")
    try:
        err = message.segment("ERR")
        err_fields = [message.unescape(str(err(i))) for i in range(1, len(err))]
    except KeyError:
        err_fields = []
    return {"type": str(msh(9)), "msa": [str(msa(i)) for i in range(1, len(msa))], "err": err_fields}


async def main():
    reader, writer = await hl7.mllp.open_hl7_connection("127.0.0.1", job["port"])
    for order in job["orders"]:
        writer.writemessage(rgv_o15(order))
        await writer.drain()
        replies = []
        for _ in range(order.get("expectReplies", 2)):
            replies.append(reply_of(await asyncio.wait_for(reader.readmessage(), 10)))
        sys.stdout.write(json.dumps(replies) + "\n")
    writer.close()


asyncio.run(main())
