#pragma once
// A store written outside include/eh, the way a library user writes one: events in one SQLite
// file, for a single machine with neither NATS KV nor Redis. The values are the codec's
// bytes (the codec decides the stored format, as with every store that keeps bytes); a token
// table answers user queries from the user id's longest word run. sqlite_contract.cpp runs
// eh::testing::check_store_contract against it.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include <eh/clock.hpp>
#include <eh/concepts.hpp>
#include <eh/config/meta.hpp>
#include <eh/error.hpp>
#include <eh/event.hpp>
#include <eh/index/match.hpp>
#include <eh/index/tokens.hpp>
#include <eh/store/answer.hpp>
#include <eh/store/lifetime.hpp>
#include <eh/store/put_stats.hpp>
#include <eh/store/query_limits.hpp>
#include <eh/store/settings.hpp>

namespace example {

struct SqliteOptions {
    std::string path;                                       ///< the database file (":memory:" for none)
    std::chrono::nanoseconds ttl = std::chrono::hours{336}; ///< counted from the event's timestamp
    eh::store::QueryLimits limits{};
};

/// Its setting in a daemon's configuration (eh::HasOwnSettings): `sqlite.path`, also
/// `--sqlite-path` and EVENTHISTORY_SQLITE_PATH, documented with the daemon's other settings.
struct SqliteSettings {
    BOOST_HANA_DEFINE_STRUCT(SqliteSettings, (std::string, path));
    static constexpr std::string_view section = "sqlite";
    static constexpr std::string_view about = "The `sqlite` store: events in one file on this machine.";
    static constexpr std::array meta{
        eh::config::Meta{.name = "path", .default_text = "eventhistory.sqlite", .env = {"EVENTHISTORY_SQLITE_PATH"},
                         .help = "The database file"},
    };
};

template <eh::Clock K = eh::SystemClock>
class SqliteStore {
public:
    static constexpr std::string_view name = "sqlite";
    using Settings = SqliteSettings;

    explicit SqliteStore(SqliteOptions options, K clock = K{})
        : options_(std::move(options)), clock_(std::move(clock)), db_(std::make_unique<Db>(options_.path)) {
        db_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                  "CREATE TABLE IF NOT EXISTS events(id BLOB PRIMARY KEY, at INTEGER NOT NULL, ends INTEGER NOT NULL,"
                  " value BLOB NOT NULL) WITHOUT ROWID;"
                  "CREATE INDEX IF NOT EXISTS events_by_end ON events(ends);"
                  "CREATE TABLE IF NOT EXISTS tokens(token INTEGER NOT NULL, id BLOB NOT NULL,"
                  " PRIMARY KEY(token, id)) WITHOUT ROWID;");
    }

    /// What a daemon's store list needs (eh::DaemonStore): made from the store settings and
    /// its own, private to the machine (instances do not share it).
    static constexpr bool shared = false;
    static SqliteStore make(const eh::store::StoreSettings& s, const SqliteSettings& own, K clock = K{}) {
        return SqliteStore({.path = own.path, .ttl = s.ttl, .limits = s.limits}, std::move(clock));
    }

    /// Stores each new id once, in one transaction; ids already there are duplicates.
    template <class Codec>
    eh::PutStats put(std::span<const eh::Event> batch, const Codec& codec) {
        const eh::Timestamp now = clock_.now();
        std::lock_guard lock(db_->mutex);
        Transaction tx(*db_);
        forget_expired(now);
        eh::PutStats stats;
        std::string value;
        std::vector<eh::index::Token> tokens;
        // Prepared once per batch, run for each event and token.
        Statement insert(*db_, "INSERT OR IGNORE INTO events(id, at, ends, value) VALUES(?, ?, ?, ?)");
        Statement insert_token(*db_, "INSERT OR IGNORE INTO tokens(token, id) VALUES(?, ?)");
        for (const auto& e : batch) {
            const auto life = eh::store::lifetime(e.timestamp, now, options_.ttl);
            if (!life) {
                ++stats.expired;
                continue;
            }
            value.clear();
            codec.encode(e, value);
            insert.bind_blob(1, e.id).bind_int(2, ticks(life->start)).bind_int(3, ticks(life->end)).bind_blob(4, value);
            insert.run();
            if (sqlite3_changes(db_->handle) == 0) {
                ++stats.duplicates;
                continue;
            }
            ++stats.stored;
            tokens.clear();
            eh::index::tokenize(e.payload, tokens);
            for (const auto t : tokens)
                insert_token.bind_int(1, static_cast<std::int64_t>(t)).bind_blob(2, e.id).run();
        }
        tx.commit();
        return stats;
    }

    /// Events by id in request order; unknown and expired ids skipped.
    template <class Codec>
    std::vector<eh::Event> get(std::span<const std::string> ids, const Codec& codec) const {
        const std::int64_t now = ticks(clock_.now());
        eh::store::AnswerBudget budget(options_.limits);
        std::vector<eh::Event> found;
        std::lock_guard lock(db_->mutex);
        Statement select(*db_, "SELECT at, value FROM events WHERE id = ? AND ends > ?");
        for (const auto& id : ids) {
            select.bind_blob(1, id).bind_int(2, now);
            if (select.step() && append(found, codec, select)) budget.add(found.back());
            select.reset();
        }
        return found;
    }

    /// Events whose payload holds user as a bounded literal, in eh::store::order_user_answer's
    /// order: the events holding the id's longest word run, each checked.
    template <class Codec>
    std::vector<eh::Event> find_by_user(std::string_view user, const Codec& codec) const {
        eh::store::check_user_id(user, options_.limits);
        std::string_view longest;
        eh::index::for_each_word_run(user, [&](std::string_view run) {
            if (run.size() > longest.size()) longest = run;
        });
        eh::store::AnswerBudget budget(options_.limits);
        std::vector<eh::Event> found;
        {
            std::lock_guard lock(db_->mutex);
            Statement select(*db_, "SELECT e.at, e.value FROM tokens t JOIN events e ON e.id = t.id"
                                   " WHERE t.token = ? AND e.ends > ?");
            select.bind_int(1, static_cast<std::int64_t>(eh::index::token_hash(longest))).bind_int(2, ticks(clock_.now()));
            while (select.step()) {
                budget.examine();
                if (!append(found, codec, select)) continue;
                if (eh::index::contains_bounded(found.back().payload, user))
                    budget.add(found.back());
                else
                    found.pop_back();
            }
        }
        eh::store::order_user_answer(found);
        return found;
    }

private:
    /// One connection; SQLite serialises writers anyway, and queries are short.
    struct Db {
        explicit Db(const std::string& path) {
            if (sqlite3_open(path.c_str(), &handle) != SQLITE_OK) {
                const std::string why = handle ? sqlite3_errmsg(handle) : "out of memory";
                sqlite3_close(handle);
                throw eh::StoreError("sqlite: cannot open " + path + ": " + why);
            }
            // Another process holding the file (a backup, a second reader) is waited for.
            sqlite3_busy_timeout(handle, 5000);
        }
        ~Db() { sqlite3_close(handle); }
        void exec(const char* sql) {
            char* error = nullptr;
            if (sqlite3_exec(handle, sql, nullptr, nullptr, &error) != SQLITE_OK) {
                const std::string why = error ? error : "unknown error";
                sqlite3_free(error);
                throw eh::StoreError("sqlite: " + why);
            }
        }
        sqlite3* handle = nullptr;
        std::mutex mutex;
    };

    class Statement {
    public:
        Statement(Db& db, const char* sql) : db_(db) {
            if (sqlite3_prepare_v2(db_.handle, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail();
        }
        ~Statement() { sqlite3_finalize(stmt_); }
        Statement(const Statement&) = delete;
        Statement& operator=(const Statement&) = delete;

        Statement& bind_blob(int i, std::string_view bytes) {
            // A non-null pointer even for no bytes: a null one would bind NULL.
            if (sqlite3_bind_blob64(stmt_, i, bytes.empty() ? "" : bytes.data(), bytes.size(), SQLITE_STATIC) != SQLITE_OK)
                fail();
            return *this;
        }
        Statement& bind_int(int i, std::int64_t v) {
            if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) fail();
            return *this;
        }
        /// True while a row is there.
        bool step() {
            const int rc = sqlite3_step(stmt_);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail();
            return rc == SQLITE_ROW;
        }
        /// Runs a statement that returns no rows, ready to be bound and run again.
        void run() {
            step();
            reset();
        }
        /// Ready to be bound and stepped again.
        void reset() { sqlite3_reset(stmt_); }
        std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
        std::string_view blob(int column) const {
            const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
            return {p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
        }

    private:
        [[noreturn]] void fail() const { throw eh::StoreError(std::string("sqlite: ") + sqlite3_errmsg(db_.handle)); }
        Db& db_;
        sqlite3_stmt* stmt_ = nullptr;
    };

    /// Rolls back unless committed: a batch is stored whole or not at all.
    class Transaction {
    public:
        explicit Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
        ~Transaction() {
            if (!done_) sqlite3_exec(db_.handle, "ROLLBACK", nullptr, nullptr, nullptr);
        }
        void commit() {
            db_.exec("COMMIT");
            done_ = true;
        }

    private:
        Db& db_;
        bool done_ = false;
    };

    static std::int64_t ticks(eh::Timestamp t) { return t.time_since_epoch().count(); }

    /// Decodes the row (at, value) onto found; false when the value is not the codec's.
    template <class Codec>
    static bool append(std::vector<eh::Event>& found, const Codec& codec, const Statement& row) {
        return eh::store::append_decoded(found, [&](eh::Event& e) {
            if (codec.decode(row.blob(1), e) != eh::DecodeError::ok) return false;
            e.timestamp = eh::Timestamp{eh::Timestamp::duration{row.integer(0)}};
            return true;
        });
    }

    /// Expired events and their tokens go, so that an id may come again after its TTL.
    void forget_expired(eh::Timestamp now) {
        Statement(*db_, "DELETE FROM tokens WHERE id IN (SELECT id FROM events WHERE ends <= ?)")
            .bind_int(1, ticks(now))
            .run();
        Statement(*db_, "DELETE FROM events WHERE ends <= ?").bind_int(1, ticks(now)).run();
    }

    SqliteOptions options_;
    K clock_;
    std::unique_ptr<Db> db_; // behind a pointer: the store moves into EventHistory
};

} // namespace example
