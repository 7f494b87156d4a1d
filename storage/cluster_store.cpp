#include "storage/cluster_store.hpp"

#include "storage/detail/session.hpp"

namespace weft::storage {

namespace {

using detail::with_session;
using detail::with_transaction;

}  // namespace

void cluster_store::node_joined(const node_row& n) {
  auto now = detail::sql_now(db_.backend());
  with_transaction(db_, [&](soci::session& s) {
    std::string name = n.name, role = n.role, version = n.version, address = n.address;
    long long merge = n.merge_engines, weaver = n.weaver_engines;
    std::string previous;
    soci::indicator ind = soci::i_null;
    s << "SELECT state FROM nodes WHERE name = :n", soci::use(name, "n"), soci::into(previous, ind);
    std::string state = (ind == soci::i_ok && previous == "draining") ? "draining" : "up";
    s << "DELETE FROM nodes WHERE name = :n", soci::use(name, "n");
    s << "INSERT INTO nodes (name, role, version, address, state, merge_engines, weaver_engines, "
         "last_heartbeat, joined_at, updated_at) VALUES (:n, :r, :v, :a, :s, :m, :w, " +
             now + ", " + now + ", " + now + ")",
        soci::use(name, "n"), soci::use(role, "r"), soci::use(version, "v"),
        soci::use(address, "a"), soci::use(state, "s"), soci::use(merge, "m"),
        soci::use(weaver, "w");
  });
}

void cluster_store::set_node_state(const std::string& name, const std::string& state) {
  auto now = detail::sql_now(db_.backend());
  with_session(db_, [&](soci::session& s) {
    std::string n = name, st = state;
    s << "UPDATE nodes SET state = :s, updated_at = " + now + " WHERE name = :n",
        soci::use(st, "s"), soci::use(n, "n");
  });
}

void cluster_store::heartbeat(const std::string& name) {
  auto now = detail::sql_now(db_.backend());
  with_session(db_, [&](soci::session& s) {
    std::string n = name;
    s << "UPDATE nodes SET last_heartbeat = " + now + " WHERE name = :n", soci::use(n, "n");
  });
}

std::vector<node_row> cluster_store::nodes() {
  // The heartbeat's age by the database's clock: nodes' clocks may differ.
  const std::string age =
      db_.backend() == backend_kind::mariadb
          ? "COALESCE(TIMESTAMPDIFF(MICROSECOND, last_heartbeat, " +
                detail::sql_now(backend_kind::mariadb) + ") DIV 1000, -1)"
          : std::string{
                "COALESCE(CAST((julianday('now') - julianday(last_heartbeat)) * 86400000 AS "
                "INTEGER), -1)"};
  return with_session(db_, [&](soci::session& s) {
    std::vector<node_row> out;
    const std::size_t n = 100;
    std::vector<std::string> name(n), role(n), version(n), address(n), state(n), hb(n), joined(n);
    std::vector<long long> merge(n), weaver(n), age_ms(n);
    soci::statement st =
        (s.prepare
             << "SELECT name, role, version, address, state, merge_engines, weaver_engines, " +
                    detail::sql_timestamp_text("last_heartbeat") + ", " +
                    detail::sql_timestamp_text("joined_at") + ", " + age +
                    " FROM nodes ORDER BY name",
         soci::into(name), soci::into(role), soci::into(version), soci::into(address),
         soci::into(state), soci::into(merge), soci::into(weaver), soci::into(hb),
         soci::into(joined), soci::into(age_ms));
    if (!detail::execute_select(s, st)) return out;
    do {
      for (std::size_t i = 0; i < name.size(); ++i)
        out.push_back({name[i], role[i], version[i], address[i], state[i],
                       static_cast<int>(merge[i]), static_cast<int>(weaver[i]), hb[i], joined[i],
                       age_ms[i]});
      for (auto* v : {&name, &role, &version, &address, &state, &hb, &joined}) v->resize(n);
      merge.resize(n);
      weaver.resize(n);
      age_ms.resize(n);
    } while (st.fetch());
    return out;
  });
}

void cluster_store::engine_registered(const engine_row& e) {
  auto now = detail::sql_now(db_.backend());
  with_transaction(db_, [&](soci::session& s) {
    std::string id = e.id, node = e.node, type = e.type, state = e.state;
    s << "DELETE FROM engines WHERE id = :i", soci::use(id, "i");
    s << "INSERT INTO engines (id, node, type, state, batches_done, updated_at) VALUES (:i, :n, "
         ":t, :s, 0, " +
             now + ")",
        soci::use(id, "i"), soci::use(node, "n"), soci::use(type, "t"), soci::use(state, "s");
  });
}

void cluster_store::set_engine_state(const std::string& id, const std::string& state) {
  auto now = detail::sql_now(db_.backend());
  with_session(db_, [&](soci::session& s) {
    std::string i = id, st = state;
    s << "UPDATE engines SET state = :s, updated_at = " + now + " WHERE id = :i",
        soci::use(st, "s"), soci::use(i, "i");
  });
}

void cluster_store::set_node_engines_state(const std::string& node, const std::string& state) {
  auto now = detail::sql_now(db_.backend());
  with_session(db_, [&](soci::session& s) {
    std::string n = node, st = state;
    s << "UPDATE engines SET state = :s, updated_at = " + now + " WHERE node = :n",
        soci::use(st, "s"), soci::use(n, "n");
  });
}

std::vector<engine_row> cluster_store::engines() {
  return with_session(db_, [&](soci::session& s) {
    std::vector<engine_row> out;
    const std::size_t n = 200;
    std::vector<std::string> id(n), node(n), type(n), state(n);
    std::vector<long long> done(n);
    soci::statement st =
        (s.prepare << "SELECT id, node, type, state, batches_done FROM engines ORDER BY id",
         soci::into(id), soci::into(node), soci::into(type), soci::into(state), soci::into(done));
    if (!detail::execute_select(s, st)) return out;
    do {
      for (std::size_t i = 0; i < id.size(); ++i)
        out.push_back({id[i], node[i], type[i], state[i], done[i]});
      for (auto* v : {&id, &node, &type, &state}) v->resize(n);
      done.resize(n);
    } while (st.fetch());
    return out;
  });
}

}  // namespace weft::storage
