import { simpleGtidOps, type GtidOps } from "../ha/index.js";
import { formatMariaGaps, formatMysqlGtidSet, gtidSubtract, mariaGtidMissing, parseMariaGtidList, parseMysqlGtidSet } from "../sql/gtid.js";

/**
 * decide()'s GtidOps over src/sql/gtid.ts, the canonical parser. MariaDB sets are compared per
 * domain AND server: the monitor reads gtid_binlog_state there, so a transaction the old writer
 * (server 1) committed but never shipped is still seen as missing after the new writer
 * (server 2) wrote past its sequence number — a per-domain position would hide it.
 */
export const sqlGtidOps: GtidOps = {
  subtract(a, b) {
    const ta = a.trim();
    const tb = b.trim();
    if (ta === "") return null;
    try {
      if (isMariaDb(ta) && (tb === "" || isMariaDb(tb))) {
        const gaps = mariaGtidMissing(parseMariaGtidList(tb), parseMariaGtidList(ta), "domain-server");
        return gaps.length > 0 ? formatMariaGaps(gaps) : null;
      }
      if (!isMariaDb(ta) && (tb === "" || !isMariaDb(tb))) {
        const left = formatMysqlGtidSet(gtidSubtract(parseMysqlGtidSet(ta), parseMysqlGtidSet(tb)));
        return left === "" ? null : left;
      }
    } catch {
      // An unparsable set (a server bug, a truncated read): the HA core's own reading decides.
    }
    return simpleGtidOps.subtract(ta, tb);
  },
};

const isMariaDb = (s: string) => /^\d+-\d+-\d+(\s*,\s*\d+-\d+-\d+)*$/.test(s);
