#!/usr/bin/env bash
# The C HeNB example (examples/c/henb_agent.c, libcurl) against the Rust HeMS
# (`femtocwmp hems`) on loopback: registration, configuration by SetParameterValues,
# configuration by file download from the HeMS's file server (Basic auth) a second later,
# reaching the HeNB by a Connection Request (Digest), and the IPsec
# inner address change the HeNB notifies. Bounded: both processes stop by themselves.
#   tests/c/henb_agent_e2e.sh FEMTOCWMP_BIN HENB_AGENT_BIN OUT_DIR
set -euo pipefail
femtocwmp=$1 agent=$2 out=$3
rm -rf "$out" && mkdir -p "$out"
device=00A0C6-FAP-CHENB1
rf=Device.Services.FAPService.1.CellConfig.LTE.RAN.RF
cat > "$out/script.json" <<JSON
[{"device": "$device", "procedure": {"ConfigureBySetParameterValues": {
   "params": [{"name": "$rf.PhyCellID", "type": "unsignedInt", "value": "123"}],
   "parameter_key": "c-spv-1"}}},
 {"device": "$device", "procedure": {"ConfigureByFileDownload": {
   "url": "/files/henb-config.xml", "username": "fap", "password": "file-secret",
   "file_size": 0, "target_file_name": "config.xml", "delay_seconds": 0, "timeout_ms": 20000}},
   "delay_ms": 1000}]
JSON
# the HeNB's own credentials: Digest for the HeMS, and for its Connection Requests
cat > "$out/devices.json" <<JSON
{"$device": {"username": "CHENB1", "password": "c-henb-secret",
             "connection_request_password": "c-henb-cr-secret"}}
JSON
"$femtocwmp" hems --devices "$out/devices.json" --listen 127.0.0.1:0 --duration 7 --quiet \
    --script "$out/script.json" \
    --events "$out/events.jsonl" --files examples/c/files \
    --file-username fap --file-password file-secret 2> "$out/hems.err" &
hems=$!
for _ in $(seq 100); do grep -q "HeMS listening on" "$out/hems.err" && break; sleep 0.05; done
url=$(sed -n 's/^HeMS listening on //p' "$out/hems.err")
[ -n "$url" ] || { cat "$out/hems.err"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$out" && HENB_PASSWORD=c-henb-secret HENB_CR_PASSWORD=c-henb-cr-secret \
    "$agent" "$url" CHENB1 "$port" 5 172.16.9.9 2500) > "$out/agent.out" || {
    cat "$out/agent.out" "$out/hems.err"; exit 1; }
wait $hems
fail() { echo "henb_agent e2e: $1"; cat "$out/agent.out" "$out/events.jsonl"; exit 1; }
grep -q "\"Informed\".*$device" "$out/events.jsonl" || fail "the HeNB never registered"
[ "$(grep -c '"ProcedureFinished".*"Success"' "$out/events.jsonl")" = 2 ] || fail "not both procedures succeeded"
grep -q "\"IpsecAddressChanged\".*172.16.9.9" "$out/events.jsonl" || fail "no IPsec address change seen by the HeMS"
grep -q "^value $rf.PhyCellID = 123$" "$out/agent.out" || fail "SetParameterValues not applied"
grep -q "^value $rf.EARFCNDL = 1350$" "$out/agent.out" || fail "configuration file not applied"
grep -q "^value Device.FAP.Tunnel.IKESA.1.IPAddress = 172.16.9.9$" "$out/agent.out" || fail "IPsec address"
grep -q "^download http://.*/files/henb-config.xml: fetched" "$out/agent.out" || fail "file not fetched"
grep -q "^connection request: 200$" "$out/agent.out" || fail "no Connection Request accepted"
grep -q "sessions: [1-9][0-9]* completed, 0 failed" "$out/agent.out" || fail "a session failed"
echo "C HeNB (libcurl) against the Rust HeMS: registration, SPV, file download, IPsec change all passed"
