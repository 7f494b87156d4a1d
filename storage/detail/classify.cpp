// Translation of driver exceptions into storage errors (docs/storage.md, "Errors").

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

#include <typeinfo>

#include "storage/detail/session.hpp"

namespace weft::storage::detail {

namespace {

constexpr std::size_t max_message = 600;

std::string shorten(std::string text) {
  if (text.size() > max_message) {
    text.resize(max_message);
    text += "...";
  }
  return text;
}

classified_error from_mysql(const soci::mysql_soci_error& e) {
  classified_error out;
  out.message = shorten(e.what());
  switch (e.err_num_) {
    // The connection is gone or cannot be made: client errors and server
    // shutdown / kill notices.
    case 2002:  // CR_CONNECTION_ERROR (socket)
    case 2003:  // CR_CONN_HOST_ERROR (refused, unreachable, connect timeout)
    case 2005:  // CR_UNKNOWN_HOST
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 2026:  // CR_SSL_CONNECTION_ERROR
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT (idle connection closed)
      out.code = errc::unavailable;
      out.connection_lost = true;
      return out;
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1129:  // ER_HOST_IS_BLOCKED
    case 1203:  // ER_TOO_MANY_USER_CONNECTIONS
    case 1317:  // ER_QUERY_INTERRUPTED (KILL QUERY, shutdown)
    case 3024:  // ER_QUERY_TIMEOUT (max_statement_time)
    case 1969:  // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
      out.code = errc::unavailable;
      return out;
    case 1062:  // ER_DUP_ENTRY
    case 1022:  // ER_DUP_KEY
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
    case 1213:  // ER_LOCK_DEADLOCK (the server rolled the transaction back)
    case 1205:  // ER_LOCK_WAIT_TIMEOUT: contention, the server is up
    case 1451:  // ER_ROW_IS_REFERENCED_2
    case 1452:  // ER_NO_REFERENCED_ROW_2
    case 4025:  // ER_CONSTRAINT_FAILED (CHECK)
      out.code = errc::conflict;
      return out;
    case 1264:  // ER_WARN_DATA_OUT_OF_RANGE
    case 1265:  // WARN_DATA_TRUNCATED
    case 1292:  // ER_TRUNCATED_WRONG_VALUE
    case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD (e.g. not UTF-8)
    case 1406:  // ER_DATA_TOO_LONG
    case 1367:  // ER_ILLEGAL_VALUE_FOR_TYPE
    case 1030:  // ER_GET_ERRNO (storage engine)
    case 1034:  // ER_NOT_KEYFILE (damaged index)
    case 1194:  // ER_CRASHED_ON_USAGE
    case 1195:  // ER_CRASHED_ON_REPAIR
      out.code = errc::corrupt;
      return out;
    default:
      break;
  }
  // Access denied, unknown database, syntax errors, unknown table/column,
  // and anything else the server rejects: a configuration or program error.
  out.code = e.get_error_category() == soci::soci_error::connection_error ? errc::unavailable
                                                                          : errc::invalid;
  out.connection_lost = out.code == errc::unavailable;
  return out;
}

classified_error from_sqlite(const soci::sqlite3_soci_error& e) {
  classified_error out;
  out.message = shorten(e.what());
  switch (e.result() & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CONSTRAINT:
      out.code = errc::conflict;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_MISMATCH:
    case SQLITE_FORMAT:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      out.code = errc::corrupt;
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      out.code = errc::unavailable;
      break;
    default:  // SQLITE_ERROR (SQL error, missing table), SQLITE_MISUSE, ...
      out.code = errc::invalid;
      break;
  }
  return out;
}

}  // namespace

classified_error classify(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const soci::mysql_soci_error& ex) {
    return from_mysql(ex);
  } catch (const soci::sqlite3_soci_error& ex) {
    return from_sqlite(ex);
  } catch (const soci::soci_error& ex) {
    classified_error out;
    out.message = shorten(ex.what());
    switch (ex.get_error_category()) {
      case soci::soci_error::connection_error:
        out.code = errc::unavailable;
        out.connection_lost = true;
        break;
      case soci::soci_error::constraint_violation:
        out.code = errc::conflict;
        break;
      case soci::soci_error::unknown_transaction_state:
        out.code = errc::unavailable;
        break;
      case soci::soci_error::no_privilege:
      case soci::soci_error::invalid_statement:
        out.code = errc::invalid;
        break;
      default:
        // SOCI's own messages: "Null value fetched and no indicator defined",
        // "Cannot convert data", overflow... — the data is not what we expect.
        out.code = errc::corrupt;
        break;
    }
    return out;
  } catch (const std::bad_cast& ex) {
    // soci::row::get<T> with a type the column does not hold.
    return {errc::corrupt, false, std::string("unexpected column type (") + ex.what() + ")"};
  } catch (const storage_error& ex) {
    return {ex.code, false, ex.what()};
  } catch (const std::exception& ex) {
    return {errc::invalid, false, shorten(ex.what())};
  } catch (...) {
    return {errc::invalid, false, "unknown exception"};
  }
}

}  // namespace weft::storage::detail
