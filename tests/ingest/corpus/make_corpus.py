"""Writes the malformed-input corpus (run once; the files are committed). cases.yml says where
every row of every file must land."""

from __future__ import annotations

import gzip
from pathlib import Path

HERE = Path(__file__).parent
P = "person_id,account_id,created_at,segment,country,lead_source,owner_id\n"
T = "touch_id,person_id,ts,channel,cost,currency\n"


def w(name: str, data: str | bytes) -> None:
    path = HERE / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def main() -> None:
    w("people_base.csv", P + "p1,a1,2026-01-05 10:00,smb,US,web,r1\np2,a1,2026-01-06 10:00,smb,US,web,r2\n")
    w("cp1252.csv", (P + "p10,a1,2026-01-05,smb,FR,Café Müller — événement,r1\n").encode("cp1252"))
    w("latin1_undefined.csv", P.encode() + b"p11,a1,2026-01-05,smb,DE,Stra\xdfe \x81x,r1\n")
    w("bom.csv", b"\xef\xbb\xbf" + (P + "p12,a1,2026-01-05,smb,US,web,r1\n").encode())
    w("semicolon.csv", P.replace(",", ";") + "p13;a1;2026-01-05;smb;US;web, paid;r1\np14;a1;2026-01-06;smb;US;web;r1\n")
    w("tab.tsv", P.replace(",", "\t") + "p15\ta1\t2026-01-05\tsmb\tUS\tweb\tr1\n")
    w("unbalanced_quote.csv", P + 'p16,a1,2026-01-05,smb,US,"web,r1\np17,a1,2026-01-05,smb,US,web,r1\n')
    w("embedded_newline.csv", P + 'p18,a1,2026-01-05,smb,US,"line one\nline two",r1\np19,a1,2026-01-05,smb,US,web,r1\n')
    w("ragged.csv", P + "p20,a1,2026-01-05,smb,US,web,r1\np21,a1,2026-01-05\np22,a1,2026-01-05,smb,US,web,r1,extra,more\np23,a1,2026-01-05,smb,US,web,r1\n")
    w("empty.csv", b"")
    w("header_only.csv", P)
    w("missing_required.csv", "account_id,created_at\na1,2026-01-05\n")
    w("misspelt_required.csv", "persn_id,account_id,created_at\np24,a1,2026-01-05\n")
    w("misspelt_optional.csv", "person_id,account_id,created_at,lead_sorce\np25,a1,2026-01-05,web\n")
    w("bad_dates.csv", P + "p26,a1,31/02/2026,smb,US,web,r1\np27,a1,2026-13-01,smb,US,web,r1\np28,a1,yesterday,smb,US,web,r1\n"
      "p29,a1,2026-02-30,smb,US,web,r1\np30,a1,2026-02-28T23:59:59,smb,US,web,r1\np31,a1,20260228,smb,US,web,r1\n")
    w("mixed_timezones.csv", P + "p32,a1,2026-03-01T12:00:00+02:00,smb,US,web,r1\np33,a1,2026-03-01T12:00:00Z,smb,US,web,r1\n"
      "p34,a1,2026-03-01 12:00:00-0500,smb,US,web,r1\np35,a1,2026-03-01 12:00:00,smb,US,web,r1\n")
    w("negative_amounts.csv", T + "t1,p1,2026-01-05 10:00,paid_search,-5,USD\nt2,p1,2026-01-05 11:00,paid_search,5,USD\n")
    w("non_numeric_amounts.csv", T + "t3,p1,2026-01-05 10:00,paid_search,\"$1,000\",USD\nt4,p1,2026-01-05 11:00,paid_search,abc,USD\n"
      "t5,p1,2026-01-05 12:00,paid_search,1e3,USD\nt6,p1,2026-01-05 13:00,paid_search,NaN,USD\n")
    w("unknown_currency.csv", T + "t7,p1,2026-01-05 10:00,paid_search,5,XYZ\nt8,p1,2026-01-05 11:00,paid_search,5,eur\n")
    w("duplicate_rows.csv", P + "p40,a1,2026-01-05,smb,US,web,r1\np40,a1,2026-01-05,smb,US,web,r1\np40,a1,2026-01-05,smb,US,web,r1\n")
    w("conflict_within.csv", P + "p41,a1,2026-01-05,smb,US,web,r1\np41,a1,2026-01-05,smb,US,event,r1\n")
    w("conflict_across_a.csv", P + "p42,a1,2026-01-05,smb,US,web,r1\n")
    w("conflict_across_b.csv", P + "p42,a1,2026-01-05,mid,US,web,r1\np43,a1,2026-01-05,smb,US,web,r1\n")
    w("orphans.csv", T + "t9,p1,2026-01-05 10:00,email,,\nt10,p_unknown,2026-01-05 10:00,email,,\n")
    w("future_ancient.csv", P + "p44,a1,2099-01-01,smb,US,web,r1\np45,a1,1899-12-31,smb,US,web,r1\np46,a1,1995-06-01,smb,US,web,r1\n")
    w("missing_values.csv", T + "t11,p1,,email,,\nt12,,2026-01-05 10:00,email,,\nt13,p1,2026-01-05 10:00,,,\n")
    good = (P + "p50,a1,2026-01-05,smb,US,web,r1\n").encode()
    w("good.csv.gz", gzip.compress(good))
    w("truncated.csv.gz", gzip.compress((P + "".join(f"p{i},a1,2026-01-05,smb,US,web,r1\n" for i in range(60, 2000))).encode())[:300])
    w("bad_status.csv", "opportunity_id,created_at,status,amount,currency\no1,2026-01-05,pending,100,USD\no2,2026-01-05,won,100,USD\n")
    w("people.jsonl", '{"person_id": "p51", "account_id": "a1", "created_at": "2026-01-05"}\n'
      '{"person_id": "p52", "account_id": "a1", "created_at": 20260105}\n')
    w("broken.jsonl", '{"person_id": "p53", "created_at": "2026-01-05"}\n{"person_id": "p54", "created_at"\n')
    w("whitespace_and_case.csv", "Person ID , Account_ID,CREATED_AT\n  p55 , a1 , 2026-01-05 \n")


if __name__ == "__main__":
    main()
