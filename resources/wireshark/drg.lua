-- Wireshark dissector for the DRG pulse generator's USB wire protocol, version 1
-- (docs/protocol.md). One DRG frame travels in each bulk transfer:
--   magic "DG" | version u8 | type u8 (bit 7: reply) | flags u8 | reserved u8 | seq u16 | length u16
--   | payload | [MAC 16 bytes when flags bit 0] | CRC-32 u32 (little-endian throughout)
--
-- Use:   wireshark -X lua_script:resources/wireshark/drg.lua capture.pcap
--        tshark -X lua_script:resources/wireshark/drg.lua -r capture.pcap -V
-- or copy this file into Wireshark's personal plugins folder (Help > About > Folders).
--
-- It registers for the device's VID/PID (0x1209:0xD260, known to Wireshark from the
-- GET_DESCRIPTOR at the start of every capture the workstation writes) and as a heuristic
-- dissector on usb.bulk, so it also finds frames of a device with other IDs (production
-- VID/PID, docs/protocol.md §1.5) or in a usbmon capture taken without enumeration.
-- Filter with "drg", "drg.type == 0x30", "drg.status != 0", "drg.is_reply == 0", ...

local drg = Proto("drg", "DRG pulse generator protocol")

local MESSAGES = {
  [0x01] = "IDENTIFY", [0x02] = "CAPABILITIES", [0x03] = "BATTERY", [0x04] = "KEEPALIVE",
  [0x10] = "READ_LEAD", [0x11] = "WRITE_LEAD", [0x12] = "SET_AMPLITUDE", [0x13] = "SET_STIMULATION",
  [0x14] = "STOP_ALL", [0x20] = "STAGE_BEGIN", [0x21] = "STAGE_LEAD", [0x22] = "COMMIT_PROGRAM",
  [0x23] = "READ_PROGRAM", [0x24] = "ABORT_STAGE", [0x30] = "MEASURE_IMPEDANCE",
  [0x40] = "START_TELEMETRY", [0x41] = "STOP_TELEMETRY", [0x42] = "TELEMETRY_BLOCK",
  [0x43] = "CAPTURE_CAPABILITIES", [0x44] = "CAPTURE_PULSE", [0x50] = "READ_EVENTS", [0x60] = "SELF_TEST",
  [0x70] = "HELLO", [0x71] = "PAIR_BEGIN", [0x72] = "PAIR_CONFIRM", [0x73] = "AUTH_BEGIN", [0x74] = "AUTH_FINISH",
}
local STATUS = {
  [0] = "OK", [1] = "BAD_FRAME", [2] = "UNKNOWN_MESSAGE", [3] = "BAD_PAYLOAD", [4] = "OUT_OF_RANGE",
  [5] = "OFF_STEP", [6] = "BAD_CONTACTS", [7] = "CHARGE_DENSITY", [8] = "ABOVE_PATIENT_MAX",
  [9] = "LEAD_DISABLED", [10] = "BUSY", [11] = "NOTHING_STAGED", [12] = "PROGRAM_CRC",
  [13] = "BATTERY_EOS", [14] = "IMPEDANCE_REQUIRED", [15] = "UNSUPPORTED",
  [16] = "AUTH_FAILED", [17] = "PAIR_PENDING",
}
local EVENTS = {
  [1] = "POWER_ON", [2] = "LEAD_WRITTEN", [3] = "AMPLITUDE_SET", [4] = "STIM_ON", [5] = "STIM_OFF",
  [6] = "STOP_ALL", [7] = "PROGRAM_COMMITTED", [8] = "PROGRAM_REJECTED", [9] = "IMPEDANCE_MEASURED",
  [10] = "SHORT_DETECTED", [11] = "WATCHDOG_RESTORE", [12] = "COMMAND_REFUSED", [13] = "BATTERY_STATE",
  [32] = "SELF_TEST",
  [40] = "AUTH_REFUSED", [41] = "PAIRING_STARTED", [42] = "PAIRED", [43] = "SESSION_OPENED",
}
local POLARITY = { [0] = "off", [1] = "+", [2] = "-" }
local BATTERY_STATE = { [0] = "OK", [1] = "ERI", [2] = "EOS" }
local IMPEDANCE_MODE = { [0] = "LEAD_PAIR", [1] = "CONTACT_TO_CASE", [2] = "CONTACT_PAIRS" }
local SELF_TEST_ITEM = { [1] = "OUTPUT_STAGE", [2] = "MEASUREMENT_PATH", [3] = "BATTERY", [4] = "MEMORY", [5] = "CLOCK" }
local SELF_TEST_RESULT = { [0] = "PASS", [1] = "WARN", [2] = "FAIL" }

local f = {
  magic = ProtoField.string("drg.magic", "Magic"),
  version = ProtoField.uint8("drg.version", "Version"),
  type = ProtoField.uint8("drg.type", "Message type", base.HEX, MESSAGES, 0x7F),
  is_reply = ProtoField.bool("drg.is_reply", "Reply", 8, nil, 0x80),
  flags = ProtoField.uint8("drg.flags", "Flags", base.HEX),
  has_mac = ProtoField.bool("drg.flags.mac", "MAC follows the payload", 8, nil, 0x01),
  reserved = ProtoField.uint8("drg.reserved", "Reserved"),
  seq = ProtoField.uint16("drg.seq", "Sequence number"),
  length = ProtoField.uint16("drg.length", "Payload length"),
  payload = ProtoField.bytes("drg.payload", "Payload"),
  mac = ProtoField.bytes("drg.mac", "MAC"),
  crc = ProtoField.uint32("drg.crc", "CRC-32", base.HEX),
  status = ProtoField.uint8("drg.status", "Status", base.DEC, STATUS),
  detail = ProtoField.string("drg.detail", "Device's sentence"),
  lead = ProtoField.uint8("drg.lead", "Lead"),
  contact = ProtoField.uint8("drg.contact", "Contact"),
  polarity = ProtoField.uint8("drg.polarity", "Polarity", base.DEC, POLARITY),
  amplitude = ProtoField.uint16("drg.amplitude_ua", "Amplitude (µA)"),
  pulse_width = ProtoField.uint16("drg.pulse_width_us", "Pulse width (µs)"),
  frequency = ProtoField.uint16("drg.frequency_hz", "Frequency (Hz)"),
  enabled = ProtoField.bool("drg.enabled", "Output enabled"),
  on = ProtoField.bool("drg.on", "On"),
  patient_max = ProtoField.uint16("drg.patient_max_ua", "Patient maximum (µA)"),
  text = ProtoField.string("drg.text", "Text"),
  count = ProtoField.uint8("drg.count", "Count"),
  u32 = ProtoField.uint32("drg.value", "Value"),
  program_crc = ProtoField.uint32("drg.program_crc", "Program CRC-32", base.HEX),
  voltage = ProtoField.uint16("drg.voltage_mv", "Voltage (mV)"),
  percent = ProtoField.uint8("drg.percent", "Battery (%)"),
  battery_state = ProtoField.uint8("drg.battery_state", "Battery state", base.DEC, BATTERY_STATE),
  mode = ProtoField.uint8("drg.impedance_mode", "Impedance mode", base.DEC, IMPEDANCE_MODE),
  ohms = ProtoField.uint32("drg.ohms", "Impedance (Ω)"),
  rate = ProtoField.uint32("drg.rate_hz", "Rate (Hz)"),
  first_sample = ProtoField.uint64("drg.first_sample", "First sample"),
  samples = ProtoField.uint16("drg.samples", "Samples per lead"),
  start = ProtoField.uint32("drg.start", "Start index"),
  total = ProtoField.uint32("drg.total", "Events in the log"),
  event_index = ProtoField.uint32("drg.event.index", "Index"),
  event_time = ProtoField.uint64("drg.event.time_ms", "Time since power-on (ms)"),
  event_code = ProtoField.uint16("drg.event.code", "Event", base.DEC, EVENTS),
  check = ProtoField.uint8("drg.selftest.check", "Check", base.DEC, SELF_TEST_ITEM),
  result = ProtoField.uint8("drg.selftest.result", "Result", base.DEC, SELF_TEST_RESULT),
  measured = ProtoField.uint32("drg.selftest.measured", "Measured"),
  expected_min = ProtoField.uint32("drg.selftest.min", "Expected minimum"),
  expected_max = ProtoField.uint32("drg.selftest.max", "Expected maximum"),
  u16 = ProtoField.uint16("drg.u16", "Value"),
  capture_samples = ProtoField.uint16("drg.capture.samples", "Samples per channel"),
  pre_samples = ProtoField.uint16("drg.capture.pre_samples", "Samples before the onset"),
  triggered = ProtoField.bool("drg.capture.triggered", "Triggered on a pulse onset"),
  timeout_ms = ProtoField.uint16("drg.capture.trigger_timeout_ms", "Trigger timeout (ms)"),
  interphase = ProtoField.uint16("drg.capture.interphase_us", "Interphase (µs)"),
  protocol = ProtoField.uint8("drg.link.protocol", "Link protocol"),
  min_protocol = ProtoField.uint8("drg.link.min_protocol", "Oldest host protocol served"),
  paired_hosts = ProtoField.uint8("drg.link.paired_hosts", "Paired hosts"),
  auth_refusals = ProtoField.uint32("drg.link.auth_refusals", "Commands refused for their MAC"),
  public_key = ProtoField.bytes("drg.link.public_key", "X25519 public key"),
  window = ProtoField.uint32("drg.link.window_ms", "Time left to confirm on the device (ms)"),
  proof = ProtoField.bytes("drg.link.proof", "Proof (HMAC-SHA256, 16 bytes)"),
  key_id = ProtoField.bytes("drg.link.key_id", "Key id"),
  nonce = ProtoField.bytes("drg.link.nonce", "Nonce"),
}
drg.fields = {}
for _, field in pairs(f) do table.insert(drg.fields, field) end

local e_crc = ProtoExpert.new("drg.crc.bad", "CRC-32 does not match", expert.group.CHECKSUM, expert.severity.ERROR)
local e_refused = ProtoExpert.new("drg.refused", "The device refused the command", expert.group.RESPONSE_CODE,
  expert.severity.WARN)
local e_short = ProtoExpert.new("drg.truncated", "Payload shorter than its message needs", expert.group.MALFORMED,
  expert.severity.ERROR)
drg.experts = { e_crc, e_refused, e_short }

-- CRC-32 (zlib, IEEE 802.3), table-driven. Bit operations: bit32 (Lua 5.2, Wireshark < 4.4),
-- else LuaBitOp's bit, else Lua 5.3+'s own operators (compiled with load, so that older Lua
-- never parses them).
local band, bxor, rshift
if bit32 then
  band, bxor, rshift = bit32.band, bit32.bxor, bit32.rshift
elseif bit then
  band, bxor, rshift = bit.band, bit.bxor, function(x, n) return bit.rshift(x, n) % 0x100000000 end
else
  band = load("return function(a, b) return a & b end")()
  bxor = load("return function(a, b) return a ~ b end")()
  rshift = load("return function(a, n) return (a & 0xFFFFFFFF) >> n end")()
end
local CRC_TABLE = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if band(c, 1) ~= 0 then c = bxor(0xEDB88320, rshift(c, 1)) else c = rshift(c, 1) end
  end
  CRC_TABLE[i] = c % 0x100000000
end
local function crc32(tvb, offset, len)
  local crc = 0xFFFFFFFF
  local bytes = tvb:bytes(offset, len)
  for i = 0, len - 1 do
    crc = bxor(CRC_TABLE[band(bxor(crc, bytes:get_index(i)), 0xFF)], rshift(crc, 8))
  end
  return bxor(crc, 0xFFFFFFFF) % 0x100000000
end

-- A cursor over the payload: each reader adds its field and moves on.
local Cursor = {}
Cursor.__index = Cursor
local function cursor(tvb, tree, offset, limit) return setmetatable({ tvb = tvb, tree = tree, pos = offset, limit = limit, ok = true }, Cursor) end
function Cursor:left() return self.limit - self.pos end
function Cursor:need(n)
  if self:left() < n then self.ok = false; return false end
  return true
end
function Cursor:u8(field, tree)
  if not self:need(1) then return nil end
  local r = self.tvb(self.pos, 1); (tree or self.tree):add_le(field, r); self.pos = self.pos + 1; return r:le_uint()
end
function Cursor:u16(field, tree)
  if not self:need(2) then return nil end
  local r = self.tvb(self.pos, 2); (tree or self.tree):add_le(field, r); self.pos = self.pos + 2; return r:le_uint()
end
function Cursor:u32(field, tree)
  if not self:need(4) then return nil end
  local r = self.tvb(self.pos, 4); (tree or self.tree):add_le(field, r); self.pos = self.pos + 4; return r:le_uint()
end
function Cursor:u64(field, tree)
  if not self:need(8) then return nil end
  local r = self.tvb(self.pos, 8); (tree or self.tree):add_le(field, r); self.pos = self.pos + 8; return r:le_uint64()
end
function Cursor:str(label, tree)
  if not self:need(1) then return nil end
  local n = self.tvb(self.pos, 1):uint()
  if not self:need(1 + n) then return nil end
  local value = n > 0 and self.tvb(self.pos + 1, n):string(ENC_UTF_8) or ""
  (tree or self.tree):add(f.text, self.tvb(self.pos, 1 + n), value):set_text(label .. ": " .. value)
  self.pos = self.pos + 1 + n
  return value
end

local function lead_config(c, tree, label)
  if not c:need(14) then return end
  local t = tree:add(drg, c.tvb(c.pos, 14), label or "Lead settings")
  local lead = c:u8(f.lead, t)
  local symbols = {}
  for i = 1, 4 do
    local p = c:u8(f.polarity, t)
    symbols[i] = POLARITY[p] or "?"
  end
  local ua = c:u16(f.amplitude, t)
  local pw = c:u16(f.pulse_width, t)
  local hz = c:u16(f.frequency, t)
  local on = c:u8(f.enabled, t)
  c:u16(f.patient_max, t)
  t:append_text(string.format(": lead %d [%s] %d µA %d µs %d Hz %s", lead, table.concat(symbols, " "), ua, pw, hz,
    on == 1 and "on" or "off"))
  return lead
end

local function identity(c, tree)
  local t = tree:add(drg, c.tvb(c.pos, c:left()), "Identity")
  local model = c:str("Model", t)
  local serial = c:str("Serial", t)
  local fw = c:str("Firmware", t)
  c:str("Hardware revision", t)
  return string.format("%s SN %s FW %s", model or "?", serial or "?", fw or "?")
end

local function capabilities(c, tree)
  local t = tree:add(drg, c.tvb(c.pos, c:left()), "Capabilities")
  t:add(f.count, c.tvb(c.pos, 1)):prepend_text("Leads: ")
  c.pos = c.pos + 1
  c:u8(f.contact, t)
  local bands = c:u8(f.count, t)
  for _ = 1, (bands or 0) do
    c:u16(f.amplitude, t); c:u16(f.amplitude, t)
  end
  for _ = 1, 4 do c:u16(f.pulse_width, t) end
  for _ = 1, 4 do c:u16(f.frequency, t) end
  c:u32(f.u32, t) -- contact area µm²
  c:u16(f.voltage, t) -- compliance mV
  c:u16(f.u16, t) -- Shannon k × 100
  c:u32(f.rate, t)
  c:u16(f.u16, t) -- watchdog ms
  c:u32(f.ohms, t) -- short below
  c:u32(f.ohms, t) -- open above
end

local function impedance_result(c, tree)
  local mode = c:u8(f.mode)
  local n = c:u8(f.count) or 0
  local faults = 0
  for _ = 1, n do
    if not c:need(7) then break end
    local t = tree:add(drg, c.tvb(c.pos, 7), "Reading")
    local lead = c:u8(f.lead, t)
    local a = c:u8(f.contact, t)
    local b = c:u8(f.contact, t)
    local ohms = c:u32(f.ohms, t)
    t:append_text(string.format(": lead %d %d-%s %d Ω", lead, a, b == 0 and "case" or tostring(b), ohms))
  end
  return string.format("%s, %d readings", IMPEDANCE_MODE[mode] or "?", n)
end

local function telemetry(c, tree)
  c:u64(f.first_sample)
  local rate = c:u32(f.rate)
  local nleads = c:u8(f.count) or 0
  local leads = {}
  for i = 1, nleads do leads[i] = tostring(c:u8(f.lead)) end
  local n = c:u16(f.samples) or 0
  local size = 2 * nleads * n
  if c:need(2 * size) then
    tree:add(f.payload, c.tvb(c.pos, size)):prepend_text("Current (int16 µA) ")
    tree:add(f.payload, c.tvb(c.pos + size, size)):prepend_text("Voltage (int16 mV) ")
    c.pos = c.pos + 2 * size
  end
  return string.format("leads %s, %d samples at %d Hz", table.concat(leads, ","), n, rate or 0)
end

local function capture_capabilities(c, tree)
  local lo = c:u32(f.rate, tree)
  local hi = c:u32(f.rate, tree)
  local n = c:u16(f.capture_samples, tree)
  c:u16(f.timeout_ms, tree)
  local gap = c:u16(f.interphase, tree)
  return string.format("%d-%d Hz, up to %d samples, interphase %d µs", lo or 0, hi or 0, n or 0, gap or 0)
end

local function pulse_capture(c, tree)
  local rate = c:u32(f.rate)
  local pre = c:u16(f.pre_samples)
  local triggered = c:u8(f.triggered)
  local lead = lead_config(c, tree, "Settings the pulse was delivered with")
  local n = c:u16(f.capture_samples) or 0
  if c:need(4 * n) then
    tree:add(f.payload, c.tvb(c.pos, 2 * n)):prepend_text("Current (int16 µA) ")
    tree:add(f.payload, c.tvb(c.pos + 2 * n, 2 * n)):prepend_text("Voltage (int16 mV) ")
    c.pos = c.pos + 4 * n
  end
  return string.format("lead %s, %d samples at %d Hz, %d before the onset, %s", tostring(lead), n, rate or 0,
    pre or 0, triggered == 1 and "triggered" or "NOT triggered")
end

local function events(c, tree)
  local total = c:u32(f.total)
  local n = c:u8(f.count) or 0
  for _ = 1, n do
    if not c:need(19) then break end
    local t = tree:add(drg, c.tvb(c.pos, 19), "Device event")
    local index = c:u32(f.event_index, t)
    c:u64(f.event_time, t)
    local code = c:u16(f.event_code, t)
    local lead = c:u8(f.lead, t)
    local value = c:u32(f.u32, t)
    t:append_text(string.format(" #%d: %s lead %d value %d", index, EVENTS[code] or tostring(code), lead, value))
  end
  return string.format("%d of %d events", n, total or 0)
end

local function self_test(c, tree)
  local n = c:u8(f.count) or 0
  local failed = 0
  for _ = 1, n do
    local start = c.pos
    local t = tree:add(drg, c.tvb(c.pos, math.min(c:left(), 15)), "Check")
    local check = c:u8(f.check, t)
    local result = c:u8(f.result, t)
    c:u32(f.measured, t)
    c:u32(f.expected_min, t)
    c:u32(f.expected_max, t)
    local detail = c:str("Detail", t)
    if result == 2 then failed = failed + 1 end
    t:set_len(c.pos - start)
    t:append_text(string.format(": %s %s", SELF_TEST_ITEM[check] or "?", SELF_TEST_RESULT[result] or "?"))
  end
  return failed == 0 and string.format("%d checks passed", n) or string.format("%d of %d checks FAILED", failed, n)
end

function Cursor:bytes(field, n, tree)
  if not self:need(n) then return nil end
  local r = self.tvb(self.pos, n); (tree or self.tree):add(field, r); self.pos = self.pos + n; return r:bytes():tohex()
end

-- request decoders by type, reply decoders by type; each returns a short summary for the Info column
local REQUEST = {
  [0x10] = function(c) return "lead " .. tostring(c:u8(f.lead)) end,
  [0x11] = function(c, t) return "lead " .. tostring(lead_config(c, t)) end,
  [0x12] = function(c) local l = c:u8(f.lead); local a = c:u16(f.amplitude); return string.format("lead %d %d µA", l, a) end,
  [0x13] = function(c) local l = c:u8(f.lead); local on = c:u8(f.on); return string.format("lead %d %s", l, on == 1 and "on" or "off") end,
  [0x20] = function(c) return "'" .. (c:str("Program name") or "") .. "'" end,
  [0x21] = function(c, t) return "lead " .. tostring(lead_config(c, t)) end,
  [0x22] = function(c) return string.format("CRC 0x%08x", c:u32(f.program_crc) or 0) end,
  [0x30] = function(c) local m = c:u8(f.mode); local l = c:u8(f.lead); return string.format("%s lead %s", IMPEDANCE_MODE[m] or "?", l == 0 and "all" or tostring(l)) end,
  [0x40] = function(c)
    local rate = c:u32(f.rate); local n = c:u8(f.count) or 0
    for _ = 1, n do c:u8(f.lead) end
    return string.format("%d Hz, %d leads", rate or 0, n)
  end,
  [0x42] = telemetry,
  [0x44] = function(c)
    local l = c:u8(f.lead); local rate = c:u32(f.rate); local n = c:u16(f.capture_samples); local pre = c:u16(f.pre_samples)
    return string.format("lead %d, %d samples at %d Hz, %d before the onset", l or 0, n or 0, rate or 0, pre or 0)
  end,
  [0x50] = function(c) local s = c:u32(f.start); local n = c:u8(f.count); return string.format("from %d, up to %d", s or 0, n or 0) end,
  [0x70] = function(c) return "host protocol " .. tostring(c:u8(f.protocol)) end,
  [0x71] = function(c) local name = c:str("Host name"); c:bytes(f.public_key, 32); return "host '" .. (name or "") .. "'" end,
  [0x72] = function(c) c:bytes(f.proof, 16); return "host proof" end,
  [0x73] = function(c) local id = c:bytes(f.key_id, 8); c:bytes(f.nonce, 16); return "key " .. (id or "?") end,
  [0x74] = function(c) c:bytes(f.proof, 16); return "host proof" end,
}
local REPLY = {
  [0x01] = identity,
  [0x02] = function(c, t) capabilities(c, t); return "capabilities" end,
  [0x03] = function(c)
    local mv = c:u16(f.voltage); local pct = c:u8(f.percent); local st = c:u8(f.battery_state)
    return string.format("%d %% %d mV %s", pct or 0, mv or 0, BATTERY_STATE[st] or "?")
  end,
  [0x10] = function(c, t) return "lead " .. tostring(lead_config(c, t)) end,
  [0x11] = function(c, t) return "lead " .. tostring(lead_config(c, t)) end,
  [0x12] = function(c, t) return "lead " .. tostring(lead_config(c, t)) end,
  [0x13] = function(c, t) return "lead " .. tostring(lead_config(c, t)) end,
  [0x22] = function(c, t)
    local name = c:str("Program name", t); local n = c:u8(f.count) or 0
    for i = 1, n do lead_config(c, t) end
    return string.format("'%s', %d leads", name or "", n)
  end,
  [0x30] = impedance_result,
  [0x40] = function(c)
    local rate = c:u32(f.rate); local n = c:u8(f.count) or 0
    for _ = 1, n do c:u8(f.lead) end
    return string.format("%d Hz, %d leads", rate or 0, n)
  end,
  [0x43] = capture_capabilities,
  [0x44] = pulse_capture,
  [0x50] = events,
  [0x60] = self_test,
  [0x70] = function(c)
    local p = c:u8(f.protocol); c:u8(f.min_protocol); local n = c:u8(f.paired_hosts); local r = c:u32(f.auth_refusals)
    return string.format("protocol %d, %d paired, %d refused", p or 0, n or 0, r or 0)
  end,
  [0x71] = function(c) c:bytes(f.public_key, 32); local w = c:u32(f.window); return string.format("confirm on the device within %d s", math.floor((w or 0) / 1000)) end,
  [0x72] = function(c) local id = c:bytes(f.key_id, 8); c:bytes(f.proof, 16); return "paired, key " .. (id or "?") end,
  [0x73] = function(c) c:bytes(f.nonce, 16); c:bytes(f.proof, 16); return "device nonce and proof" end,
  [0x74] = function() return "session open" end,
}
REPLY[0x23] = REPLY[0x22]

local HEADER, TRAILER = 10, 4

local function looks_like_drg(tvb)
  local len = tvb:len()
  if len < HEADER + TRAILER then return false end
  if tvb(0, 2):string() ~= "DG" or tvb(2, 1):uint() ~= 1 then return false end
  local flags = tvb(4, 1):uint()
  if flags > 1 then return false end
  local mac = (flags == 1) and 16 or 0
  return len == HEADER + tvb(8, 2):le_uint() + mac + TRAILER
end

function drg.dissector(tvb, pinfo, tree)
  if not looks_like_drg(tvb) then return 0 end
  local len = tvb:len()
  pinfo.cols.protocol = "DRG"
  local mtype = tvb(3, 1):uint()
  local is_reply = mtype >= 0x80
  local base_type = mtype % 0x80
  local name = MESSAGES[base_type] or string.format("0x%02x", base_type)
  local flags = tvb(4, 1):uint()
  local seq = tvb(6, 2):le_uint()
  local plen = tvb(8, 2):le_uint()
  local mac = (flags == 1) and 16 or 0

  local root = tree:add(drg, tvb(), "DRG pulse generator protocol")
  root:add(f.magic, tvb(0, 2))
  root:add(f.version, tvb(2, 1))
  root:add(f.type, tvb(3, 1))
  root:add(f.is_reply, tvb(3, 1))
  local ft = root:add(f.flags, tvb(4, 1))
  ft:add(f.has_mac, tvb(4, 1))
  root:add(f.reserved, tvb(5, 1))
  root:add_le(f.seq, tvb(6, 2))
  root:add_le(f.length, tvb(8, 2))
  local body = root
  if plen > 0 then body = root:add(f.payload, tvb(HEADER, plen)) end
  if mac > 0 then root:add(f.mac, tvb(HEADER + plen, mac)):append_text(" (HMAC-SHA256 under the session key: not checked here)") end
  local crc_item = root:add_le(f.crc, tvb(len - 4, 4))
  local crc_ok = crc32(tvb, 0, len - 4) == tvb(len - 4, 4):le_uint()
  if crc_ok then crc_item:append_text(" [correct]") else crc_item:add_proto_expert_info(e_crc) end

  local kind, summary = "", ""
  if base_type == 0x42 then
    kind = "telemetry"
  elseif is_reply then
    kind = "reply"
  else
    kind = "request"
  end
  local c = cursor(tvb, body, HEADER, HEADER + plen)
  if is_reply then
    local status = c:u8(f.status)
    if status == 0 then
      local decode = REPLY[base_type]
      summary = decode and (decode(c, body) or "") or "OK"
      if summary == "" then summary = "OK" end
    elseif status ~= nil then
      local detail = c:left() >= 1 and c:str("Device's sentence") or ""
      body:add(f.detail, tvb(HEADER, plen), detail)
      root:add_proto_expert_info(e_refused)
      summary = string.format("%s: %s", STATUS[status] or tostring(status), detail or "")
    end
  else
    local decode = REQUEST[base_type]
    if decode then summary = decode(c, body) or "" end
  end
  if not c.ok then root:add_proto_expert_info(e_short) end

  root:append_text(string.format(", %s %s, seq %d", name, kind, seq))
  local info = string.format("%s %s seq=%d", name, kind, seq)
  if summary ~= "" then info = info .. " (" .. summary .. ")" end
  if mac > 0 then info = info .. " [MAC]" end
  if not crc_ok then info = info .. " [BAD CRC]" end
  pinfo.cols.info = info
  return len
end

local function heuristic(tvb, pinfo, tree)
  if not looks_like_drg(tvb) then return false end
  drg.dissector(tvb, pinfo, tree)
  return true
end

-- By VID/PID (pid.codes test VID 0x1209, PID 0xD260: drivers/usb_ids.py) and by content.
DissectorTable.get("usb.product"):add(0x1209D260, drg)
drg:register_heuristic("usb.bulk", heuristic)

-- The vendor control request STOP_ALL (bmRequestType 0x41, bRequest 0x14, docs/protocol.md §1.4):
-- no DRG frame, but a message all the same. Wireshark hands a vendor request to interface
-- dissectors only when it knows the interface, so a post-dissector names it from the setup fields.
local stop_all = Proto("drg_stop", "DRG STOP_ALL vendor control request")
local f_stop = ProtoField.string("drg_stop.message", "Message")
stop_all.fields = { f_stop }
local usb_request_type = Field.new("usb.bmRequestType")
local usb_request = Field.new("usb.setup.bRequest")
local usb_urb_id = Field.new("usb.urb_id")
local usb_urb_type = Field.new("usb.urb_type")
local usb_status = Field.new("usb.urb_status")
local stop_urbs = {}
function stop_all.dissector(tvb, pinfo, tree)
  local urb = usb_urb_id()
  if not urb then return end
  local key = tostring(urb.value)
  local rt, rq = usb_request_type(), usb_request()
  if rt and rq and rt.value == 0x41 and rq.value == 0x14 then
    stop_urbs[key] = true
    pinfo.cols.protocol = "DRG"
    pinfo.cols.info = "STOP_ALL control request (every output off, ahead of queued bulk commands)"
    tree:add(stop_all, tvb(), "DRG STOP_ALL control request"):add(f_stop, "STOP_ALL request")
  elseif stop_urbs[key] then
    local st = usb_status()
    local status = st and st.value or 0
    pinfo.cols.protocol = "DRG"
    pinfo.cols.info = status == 0 and "STOP_ALL control reply (outputs off)" or
        string.format("STOP_ALL control reply: failed (status %d)", status)
    tree:add(stop_all, tvb(), "DRG STOP_ALL control reply"):add(f_stop, "STOP_ALL reply")
  end
end
register_postdissector(stop_all)
