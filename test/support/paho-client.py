#!/usr/bin/env python3
"""A generic Eclipse Paho (paho-mqtt 2.x) client for wardlab's interoperability tests.

The tests drive a third-party MQTT implementation through this one script: each test states its
scenario as JSON, and asserts on the events the client saw. Run it as

    echo '<script>' | python3 test/support/paho-client.py

The script (one JSON object on stdin):

    {
      "host": "127.0.0.1", "port": 1883,
      "transport": "tcp" | "websockets",   default "tcp"; "path" is the WebSocket path, default "/mqtt"
      "protocol": "v5" | "v311",           default "v5"
      "clientId": "c1", "username": "u", "password": "p",   all optional
      "cleanStart": true,                  v5 Clean Start / 3.1.1 CleanSession, default true
      "sessionExpiry": 30,                 v5 Session Expiry Interval in seconds, left out when absent
      "keepalive": 30,
      "steps": [ ... ]                     run in order once the CONNACK accepts the connection
    }

Steps:

    {"subscribe": "filter", "qos": 1}      waits for the SUBACK
    {"publish": "topic", "payload": "text", "qos": 1, "retain": false, "properties": {...}}
                                           QoS 1 waits for the PUBACK, QoS 0 for nothing
    {"expect": 3, "timeout": 5}            waits until 3 messages have arrived in all
    {"sleep": 1.5}                         keeps the connection serviced (and collecting) for 1.5 s
    {"disconnect": true}                   a normal DISCONNECT

Publish properties (v5), named as the tests name them: userProperty ([[key, value], ...]),
contentType, payloadFormatIndicator, messageExpiryInterval, responseTopic, correlationData (hex).

Output: one JSON line per event, flushed as it happens.

    {"event": "connack", "reasonCode": 0, "sessionPresent": false, "properties": {...}}
        3.1.1 also gets "returnCode", the CONNACK return code itself (paho reports a v5-style
        reason code for both protocols; the map back is by the reason's name)
    {"event": "suback", "reasonCodes": [0]}
    {"event": "puback", "topic": "...", "reasonCode": 0}
    {"event": "message", "topic": "...", "payload": "text", "qos": 1, "retain": false, "properties": {...}}
    {"event": "disconnect", "fromServer": true, "reasonCode": 135}
        fromServer: the broker sent a DISCONNECT packet (v5); false when the connection just closed
    {"event": "timeout", "step": {...}}
    {"event": "error", "message": "..."}  paho could not read what the broker sent
    {"event": "end", "completed": true}

Exit status: 0 when every step ran, 1 when the run ended early (refused, disconnected, timed out),
2 for a script that cannot run (malformed, or refused by paho), 3 when paho-mqtt is not installed.
Everything runs on the one thread, in paho's loop(), so nothing reconnects behind the test's back.
"""

import json
import sys
import time

try:
    import paho.mqtt.client as mqtt
    from paho.mqtt.client import CallbackAPIVersion  # paho-mqtt 2 and later
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
except ImportError:
    print(json.dumps({"event": "error", "message": "paho-mqtt 2 is not installed for python3: pip install 'paho-mqtt>=2,<3' (.ci/run does this)"}), flush=True)
    sys.exit(3)

# MQTT 3.1.1 CONNACK return codes (§3.2.2.3), by the reason name paho gives them.
RETURN_CODES = {
    "Success": 0,
    "Unsupported protocol version": 1,
    "Client identifier not valid": 2,
    "Server unavailable": 3,
    "Bad user name or password": 4,
    "Not authorized": 5,
}

# The v5 properties the tests send and read, by their names here and in paho.
PROPERTY_NAMES = {
    "userProperty": "UserProperty",
    "contentType": "ContentType",
    "payloadFormatIndicator": "PayloadFormatIndicator",
    "messageExpiryInterval": "MessageExpiryInterval",
    "responseTopic": "ResponseTopic",
    "correlationData": "CorrelationData",
    "sessionExpiryInterval": "SessionExpiryInterval",
    "reasonString": "ReasonString",
    "assignedClientIdentifier": "AssignedClientIdentifier",
    "topicAliasMaximum": "TopicAliasMaximum",
    "receiveMaximum": "ReceiveMaximum",
    "serverKeepAlive": "ServerKeepAlive",
}

events = []


def emit(event):
    events.append(event)
    print(json.dumps(event), flush=True)


def properties_out(props):
    """Paho Properties as JSON: camelCase names, bytes as hex, user properties as [key, value] pairs."""
    out = {}
    if props is None:
        return out
    for name, paho_name in PROPERTY_NAMES.items():
        if not hasattr(props, paho_name):
            continue
        value = getattr(props, paho_name)
        if isinstance(value, bytes):
            value = value.hex()
        elif name == "userProperty":
            value = [list(pair) for pair in value]
        out[name] = value
    return out


def properties_in(packet_type, given):
    props = Properties(packet_type)
    for name, value in given.items():
        if name == "correlationData":
            value = bytes.fromhex(value)
        elif name == "userProperty":
            value = [tuple(pair) for pair in value]
        setattr(props, PROPERTY_NAMES[name], value)
    return props


def on_connect(client, userdata, flags, reason_code, properties):
    event = {"event": "connack", "reasonCode": reason_code.value, "sessionPresent": bool(flags.session_present), "properties": properties_out(properties)}
    if client.protocol != mqtt.MQTTv5:
        event["returnCode"] = RETURN_CODES.get(reason_code.getName(), reason_code.value)
    emit(event)


def on_subscribe(client, userdata, mid, reason_codes, properties):
    emit({"event": "suback", "mid": mid, "reasonCodes": [code.value for code in reason_codes]})


def on_publish(client, userdata, mid, reason_code, properties):
    emit({"event": "puback", "mid": mid, "reasonCode": reason_code.value, "properties": properties_out(properties)})


def on_message(client, userdata, message):
    emit({
        "event": "message",
        "topic": message.topic,
        "payload": message.payload.decode("utf-8", errors="replace"),
        "qos": message.qos,
        "retain": bool(message.retain),
        "properties": properties_out(getattr(message, "properties", None)),
    })


# The reason code of a DISCONNECT that carries no properties, read off the packet (see below).
short_disconnect = {}


def read_short_disconnects(client):
    """paho-mqtt 2.1 reads a DISCONNECT's reason code only when properties follow it (Remaining
    Length > 2), and reports `e0 02 87 00` as a normal disconnection (eclipse-paho/paho.mqtt.python
    #860, fix pending in #955). MQTT 5 §3.14.2.1 puts the reason code in the first byte whenever the
    Remaining Length is at least 1: read it there before paho handles the packet."""
    handle = client._handle_disconnect

    def handle_disconnect():
        packet = client._in_packet["packet"]
        if 1 <= len(packet) <= 2:
            short_disconnect["reasonCode"] = packet[0]
        return handle()

    client._handle_disconnect = handle_disconnect


def on_disconnect(client, userdata, flags, reason_code, properties):
    from_server = flags.is_disconnect_packet_from_server
    code = short_disconnect.get("reasonCode", reason_code.value) if from_server else reason_code.value
    emit({"event": "disconnect", "fromServer": from_server, "reasonCode": code, "properties": properties_out(properties)})


class Ended(Exception):
    """The connection is gone or a wait ran out: the run stops here."""


def service(client, predicate, timeout, step):
    """Runs paho's loop until `predicate()` holds; Ended if the connection drops or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if any(e["event"] == "disconnect" for e in events):
            raise Ended()
        if time.monotonic() > deadline:
            emit({"event": "timeout", "step": step})
            raise Ended()
        try:
            rc = client.loop(timeout=0.05)
        except Exception as err:  # paho raises on a packet it cannot read, e.g. an unknown reason code
            emit({"event": "error", "message": f"paho could not read a packet from the broker: {type(err).__name__}: {err}"})
            raise Ended()
        if rc != mqtt.MQTT_ERR_SUCCESS and not any(e["event"] == "disconnect" for e in events):
            emit({"event": "disconnect", "fromServer": False, "reasonCode": None, "properties": {}})


def count(kind, **match):
    return sum(1 for e in events if e["event"] == kind and all(e.get(k) == v for k, v in match.items()))


def run_step(client, step, v5):
    timeout = step.get("timeout", 5)
    if "subscribe" in step:
        _, mid = client.subscribe(step["subscribe"], qos=step.get("qos", 0))
        service(client, lambda: count("suback", mid=mid) > 0, timeout, step)
    elif "publish" in step:
        props = properties_in(PacketTypes.PUBLISH, step.get("properties", {})) if v5 else None
        info = client.publish(step["publish"], step.get("payload", ""), qos=step.get("qos", 0), retain=step.get("retain", False), properties=props)
        if step.get("qos", 0) > 0:
            service(client, lambda: count("puback", mid=info.mid) > 0, timeout, step)
        else:
            service(client, lambda: not client.want_write(), timeout, step)
    elif "expect" in step:
        service(client, lambda: count("message") >= step["expect"], timeout, step)
    elif "sleep" in step:
        end = time.monotonic() + step["sleep"]
        service(client, lambda: time.monotonic() >= end, step["sleep"] + 1, step)
    elif "disconnect" in step:
        client.disconnect()
        service(client, lambda: count("disconnect") > 0, timeout, step)
    else:
        raise ValueError(f"unknown step {step}")


def main():
    try:
        return run(json.load(sys.stdin))
    except Exception as err:  # a script paho cannot carry out, e.g. no client id with CleanSession 0 on 3.1.1
        print(json.dumps({"event": "error", "message": f"the script cannot run: {type(err).__name__}: {err}"}), flush=True)
        return 2


def run(script):
    v5 = script.get("protocol", "v5") == "v5"
    transport = script.get("transport", "tcp")
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=script.get("clientId", ""),
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        transport=transport,
        **({} if v5 else {"clean_session": script.get("cleanStart", True)}),
    )
    if v5:
        read_short_disconnects(client)
    if transport == "websockets":
        client.ws_set_options(path=script.get("path", "/mqtt"))
    if "username" in script:
        client.username_pw_set(script["username"], script.get("password"))
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_publish = on_publish
    client.on_message = on_message
    client.on_disconnect = on_disconnect

    connect = {"keepalive": script.get("keepalive", 30)}
    if v5:
        connect["clean_start"] = script.get("cleanStart", True)
        if "sessionExpiry" in script:
            connect["properties"] = properties_in(PacketTypes.CONNECT, {"sessionExpiryInterval": script["sessionExpiry"]})
    client.connect(script.get("host", "127.0.0.1"), script["port"], **connect)
    try:
        service(client, lambda: count("connack") > 0, script.get("connectTimeout", 5), {"connect": True})
        if next(e for e in events if e["event"] == "connack")["reasonCode"] != 0:
            raise Ended()
        for step in script.get("steps", []):
            run_step(client, step, v5)
    except Ended:
        emit({"event": "end", "completed": False})
        return 1
    emit({"event": "end", "completed": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
