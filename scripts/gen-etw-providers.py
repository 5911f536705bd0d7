#!/usr/bin/env python3
"""Write lib/events/providers.c and lib/events/layouts.c: the ETW providers
the events stage names, and the field layouts it decodes.

Input: the provider manifests in ../shared/research/manifests/*.xml (public
manifests rebuilt from Windows binaries by repnz/etw-providers-docs at
d5f68e8, provenance in that folder's PROVENANCE.md): every <provider
name= guid=> of them, plus the providers below that have no manifest there
(Microsoft-Windows-PktMon: pktmon's own, its GUID as pktmon logs it;
HttpService and Kernel-Network, as ../shared/research/windows-events.md
names them from microsoft/Tx's sample traces); and
for the providers in LAYOUTS (the ones ../shared/research/windows-events.md
names for IP-HTTPS diagnosis) every <event> with its <template>'s <data>
fields in order, inType and length (a number or the name of an earlier
field). A template with a counted array (count=) is laid out up to the
array. Both outputs are committed; rerun after adding a manifest:

    python3 scripts/gen-etw-providers.py [MANIFEST_DIR] [OUT_DIR]

(OUT_DIR defaults to lib/events.)
"""
import glob
import os
import re
import sys
import uuid
import xml.etree.ElementTree as ET

EXTRA = {
    "4d4f80d9-c8bd-4d73-bb5b-19c90402c5ac": "Microsoft-Windows-PktMon",
    # seen in microsoft/Tx's public sample traces (windows-events.md)
    "dd5ef90a-6398-47a4-ad34-4dcecdef795f": "Microsoft-Windows-HttpService",
    "7dd42a49-5329-4832-8dfd-43d979153a88": "Microsoft-Windows-Kernel-Network",
}

# provider name -> the event ids laid out (None: all of its events)
LAYOUTS = {
    "Microsoft-Windows-Iphlpsvc": None,
    "Microsoft-Windows-Iphlpsvc-Trace": None,
    "Schannel": None,
    "Microsoft-Windows-Schannel-Events": None,
    "Microsoft-Windows-CAPI2": None,
    "Microsoft-Windows-DNS-Client": None,
    # connect failures and resets (research: TCPIP and DNS)
    "Microsoft-Windows-TCPIP": {1018, 1019, 1020, 1021, 1033, 1034, 1045,
                                1182, 1183, 1184},
}

# manifest inType -> (events.h type, size in bytes or 0: variable)
TYPES = {
    "UnicodeString": ("DT_ETW_USTR", 0), "AnsiString": ("DT_ETW_ASTR", 0),
    "Int8": ("DT_ETW_I8", 1), "UInt8": ("DT_ETW_U8", 1),
    "Int16": ("DT_ETW_I16", 2), "UInt16": ("DT_ETW_U16", 2),
    "Int32": ("DT_ETW_I32", 4), "UInt32": ("DT_ETW_U32", 4),
    "HexInt32": ("DT_ETW_HEX32", 4), "Boolean": ("DT_ETW_BOOL", 4),
    "Int64": ("DT_ETW_I64", 8), "UInt64": ("DT_ETW_U64", 8),
    "HexInt64": ("DT_ETW_HEX64", 8), "Pointer": ("DT_ETW_PTR", 0),
    "GUID": ("DT_ETW_GUID", 16), "FILETIME": ("DT_ETW_FILETIME", 8),
    "SYSTEMTIME": ("DT_ETW_SYSTEMTIME", 16), "SID": ("DT_ETW_SID", 0),
    "Binary": ("DT_ETW_BINARY", 0), "Double": ("DT_ETW_DOUBLE", 8),
    "Float": ("DT_ETW_FLOAT", 4),
}
NS = "{http://schemas.microsoft.com/win/2004/08/events}"

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/research/manifests"
out = sys.argv[2] if len(sys.argv) > 2 else "lib/events"
names = dict(EXTRA)
layouts = []            # (guid bytes, id, version, provider, symbol, fields, partial)
for path in sorted(glob.glob(os.path.join(src, "*.xml"))):
    text = open(path, encoding="utf-8", errors="replace").read()
    for m in re.finditer(r'<provider name="([^"]+)" guid="\{([0-9a-fA-F-]+)\}"', text):
        names.setdefault(m.group(2).lower(), m.group(1))
    root = ET.fromstring(text)
    for prov in root.iter(NS + "provider"):
        pname = prov.get("name")
        if pname not in LAYOUTS:
            continue
        want = LAYOUTS[pname]
        guid = uuid.UUID(prov.get("guid").strip("{}")).bytes_le
        tmpl = {t.get("tid"): t for t in prov.iter(NS + "template")}
        for ev in prov.iter(NS + "event"):
            eid = int(ev.get("value"))
            if want is not None and eid not in want:
                continue
            if any(l[0] == guid and l[1] == eid and
                   l[2] == int(ev.get("version", "0")) for l in layouts):
                continue        # an older manifest of the same provider
            sym = ev.get("symbol", "")
            if sym.startswith("task_") or not re.match(r"^\w+$", sym):
                sym = None
            fields, partial, seen = [], 0, []
            t = tmpl.get(ev.get("template")) if ev.get("template") else None
            for d in (t.iter(NS + "data") if t is not None else []):
                it = d.get("inType", "").replace("win:", "")
                if it not in TYPES or d.get("count") is not None:
                    partial = 1
                    break
                ln = d.get("length")
                if ln is None:
                    kind, n = 0, 0
                elif ln.isdigit():
                    kind, n = 1, int(ln)
                elif ln in seen:
                    kind, n = 2, seen.index(ln)
                else:
                    partial = 1
                    break
                fields.append((d.get("name"), TYPES[it][0], kind, n))
                seen.append(d.get("name"))
            layouts.append((guid, eid, int(ev.get("version", "0")), pname,
                            sym, fields, partial))

def cstr(s):
    return "NULL" if s is None else '"%s"' % s

with open(os.path.join(out, "providers.c"), "w") as f:
    f.write("""/*
 * ETW provider names by GUID, for the events stage. GENERATED by
 * scripts/gen-etw-providers.py from the .xml files of ../shared/research/manifests
 * (repnz/etw-providers-docs d5f68e8); do not edit, rerun the script.
 * GUIDs as an ETL file stores them (MS-DTYP 2.3.4.2: Data1..3
 * little-endian), sorted for a binary search.
 */
#include "events/events.h"

const struct dt_etw_provider dt_etw_providers[] = {
""")
    rows = sorted((uuid.UUID(g).bytes_le, g, n) for g, n in names.items())
    for b, g, n in rows:
        hexes = ", ".join("0x%02x" % x for x in b)
        f.write("\t{ /* {%s} */\n\t    { %s },\n\t    \"%s\" },\n" % (g, hexes, n))
    f.write("};\n\nconst size_t dt_etw_n_providers =\n    sizeof dt_etw_providers / sizeof dt_etw_providers[0];\n")

layouts.sort(key=lambda l: (l[0], l[1], l[2]))
with open(os.path.join(out, "layouts.c"), "w") as f:
    f.write("""/*
 * ETW event field layouts, for the events stage's typed decoding.
 * GENERATED by scripts/gen-etw-providers.py from the .xml files of
 * ../shared/research/manifests (repnz/etw-providers-docs d5f68e8; the
 * providers and ids chosen in the script's LAYOUTS); do not edit, rerun
 * the script. Each event's fields in payload order with their manifest
 * inType; len_kind 1: fixed length len, 2: the length is the value of
 * field number len. Sorted by (GUID as stored, id, version).
 */
#include "events/events.h"

const struct dt_etw_field_def dt_etw_fields[] = {
""")
    first = []
    k = 0
    for l in layouts:
        first.append(k)
        for (name, ty, kind, n) in l[5]:
            f.write("\t{ \"%s\", %s, %d, %d },\n" % (name, ty, kind, n))
            k += 1
    if k == 0:
        f.write("\t{ NULL, 0, 0, 0 },\n")
    f.write("};\n\nconst struct dt_etw_layout dt_etw_layouts[] = {\n")
    for l, fi in zip(layouts, first):
        hexes = ", ".join("0x%02x" % x for x in l[0])
        f.write("\t{ { %s },\n\t    %d, %d, \"%s\", %s, %d, %d, %d },\n" % (
            hexes, l[1], l[2], l[3], cstr(l[4]), fi, len(l[5]), l[6]))
    f.write("};\n\nconst size_t dt_etw_n_layouts =\n    sizeof dt_etw_layouts / sizeof dt_etw_layouts[0];\n")
print("%d providers, %d layouts, %d fields" % (len(names), len(layouts), k), file=sys.stderr)
