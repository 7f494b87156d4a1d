#include "storage/master_store.hpp"

#include "storage/detail/session.hpp"

namespace weft::storage {

namespace {

using detail::sql_now;
using detail::sql_now_plus;
using detail::with_session;
using detail::with_transaction;
using std::chrono::milliseconds;

void record(soci::session& s, backend_kind kind, const std::string& event, const std::string& node,
            int64_t token, const std::string& reason) {
  std::string e = event, n = node, r = reason.substr(0, 2000);
  long long t = token;
  s << "INSERT INTO master_history (event, node, token, at, reason) VALUES (:e, :n, :t, " +
           sql_now(kind) + ", :r)",
      soci::use(e, "e"), soci::use(n, "n"), soci::use(t, "t"), soci::use(r, "r");
}

}  // namespace

std::optional<int64_t> master_store::take_over(const std::string& node, milliseconds lease,
                                               const std::string& reason, bool reclaim_own) {
  const auto kind = db_.backend();
  const std::string now = sql_now(kind);
  const std::string until = sql_now_plus(kind, lease);
  try {
    return with_transaction(db_, [&](soci::session& s) -> std::optional<int64_t> {
      std::string n = scheduler_lease, h = node, h2 = node;
      const std::string update =
          "UPDATE leases SET holder = :h, token = token + 1, lock_until = " + until +
          ", acquired_at = " + now + " WHERE name = :n AND (lock_until <= " + now;
      soci::statement take =
          reclaim_own ? (s.prepare << update + " OR holder = :h2)", soci::use(h, "h"),
                         soci::use(n, "n"), soci::use(h2, "h2"))
                      : (s.prepare << update + ")", soci::use(h, "h"), soci::use(n, "n"));
      take.execute(true);
      long long token = 0;
      if (take.get_affected_rows() == 1) {
        s << "SELECT token FROM leases WHERE name = :n", soci::use(n, "n"), soci::into(token);
      } else {
        long long rows = 0;
        s << "SELECT COUNT(*) FROM leases WHERE name = :n", soci::use(n, "n"), soci::into(rows);
        if (rows > 0) return std::nullopt;  // another node holds it
        // The first take-over ever. Two at once collide on the primary key: the loser
        // gets a conflict below and reports "not taken".
        s << "INSERT INTO leases (name, holder, token, lock_until, acquired_at) VALUES (:n, :h, "
             "1, " +
                 until + ", " + now + ")",
            soci::use(n, "n"), soci::use(h, "h");
        token = 1;
      }
      record(s, kind, "take-over", node, token, reason);
      return token;
    });
  } catch (const storage_error& e) {
    if (e.code == errc::conflict) return std::nullopt;
    throw;
  }
}

bool master_store::renew(const std::string& node, int64_t token, milliseconds lease) {
  const auto kind = db_.backend();
  return with_session(db_, [&](soci::session& s) {
    std::string n = scheduler_lease, h = node;
    long long t = token;
    // lock_until always moves (now + lease grows), so a matching row counts as changed.
    soci::statement st =
        (s.prepare << "UPDATE leases SET lock_until = " + sql_now_plus(kind, lease) +
                          " WHERE name = :n AND holder = :h AND token = :t",
         soci::use(n, "n"), soci::use(h, "h"), soci::use(t, "t"));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

bool master_store::step_down(const std::string& node, int64_t token, const std::string& reason,
                             bool hand_over) noexcept {
  try {
    const auto kind = db_.backend();
    with_transaction(db_, [&](soci::session& s) {
      std::string n = scheduler_lease, h = node;
      long long t = token;
      s << "UPDATE leases SET lock_until = " + sql_now(kind) +
               " WHERE name = :n AND holder = :h AND token = :t",
          soci::use(n, "n"), soci::use(h, "h"), soci::use(t, "t");
      record(s, kind, hand_over ? "hand-over" : "step-down", node, token, reason);
    });
    return true;
  } catch (...) {
    return false;
  }
}

std::optional<lease_info> master_store::holder() {
  return lease_store(db_).describe(scheduler_lease);
}

std::vector<master_event> master_store::history(int limit) {
  return with_session(db_, [&](soci::session& s) {
    std::vector<master_event> out;
    long long id = 0, token = 0;
    std::string event, node, at, reason;
    soci::indicator reason_ind = soci::i_ok;
    soci::statement st =
        (s.prepare << "SELECT id, event, node, token, CAST(at AS CHAR), reason FROM "
                      "master_history ORDER BY id DESC LIMIT " +
                          std::to_string(limit),
         soci::into(id), soci::into(event), soci::into(node), soci::into(token), soci::into(at),
         soci::into(reason, reason_ind));
    if (!detail::execute_select(s, st)) return out;
    do {
      out.push_back({id, event, node, token, at, reason_ind == soci::i_ok ? reason : ""});
    } while (st.fetch());
    return out;
  });
}

int master_store::end_sessions_of(const std::string& node, const write_fence& fence) {
  if (db_.backend() != backend_kind::mariadb || node.empty()) return 0;
  return detail::with_session(db_, [&](soci::session& s) {
    // The fence, read without a lock: the former master may hold the lease row's lock in
    // its frozen transaction, and the point is not to wait for it.
    check_fence(s, db_.backend(), fence, false,
                "not ending the database sessions of '" + node + "'");
    // Only ids a live session has now (an id of a session gone may be given out again).
    std::vector<long long> ids;
    long long id = 0;
    soci::statement st(s);
    st.alloc();
    st.prepare(
        "SELECT d.connection_id FROM db_sessions d JOIN information_schema.PROCESSLIST p "
        "ON p.ID = d.connection_id WHERE d.node = :n AND d.connection_id <> CONNECTION_ID()");
    st.exchange(soci::use(node, "n"));
    st.exchange(soci::into(id));
    st.define_and_bind();
    if (detail::execute_select(s, st)) do
        ids.push_back(id);
      while (st.fetch());
    int ended = 0;
    for (auto victim : ids) {
      try {
        s << "KILL CONNECTION " + std::to_string(victim);
        ++ended;
      } catch (const soci::soci_error&) {
        // Gone meanwhile (1094), or another user's (1095): nothing this node can do.
      }
      s << "DELETE FROM db_sessions WHERE connection_id = :i AND node = :n", soci::use(victim),
          soci::use(node);
    }
    return ended;
  });
}

void check_fence(soci::session& s, backend_kind kind, const write_fence& fence, bool lock,
                 const std::string& refused) {
  std::string n = scheduler_lease, holder;
  long long token = 0;
  soci::indicator holder_ind = soci::i_ok;
  s << "SELECT token, holder FROM leases WHERE name = :n" +
           std::string{lock && kind == backend_kind::mariadb ? " FOR UPDATE" : ""},
      soci::use(n, "n"), soci::into(token), soci::into(holder, holder_ind);
  if (!s.got_data() || token != fence.token || holder_ind != soci::i_ok || holder != fence.holder)
    throw storage_error(errc::fenced, refused + ": the scheduler lease is held by '" +
                                          (holder_ind == soci::i_ok ? holder : std::string{}) +
                                          "' with token " + std::to_string(token) + ", not by '" +
                                          fence.holder + "' with token " +
                                          std::to_string(fence.token));
}

}  // namespace weft::storage
