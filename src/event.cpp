// The event's index, built by simdjson: one validating pass over the frame
// (about 0.4 µs for a 600-byte message, where building an nlohmann tree
// takes about 6 µs), keeping only the top-level members.
#include "slackrtm/event.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <vector>

#include <simdjson.h>

#include "util/json_depth.hpp"

namespace slackrtm {

namespace {

// Frames up to this size are parsed by a parser kept per thread; larger
// ones by a parser of their own, so that one huge frame does not keep its
// buffers alive in a thread for good.
constexpr std::size_t reused_parser_limit = 16 * 1024;

enum class kind : std::uint8_t {
  string,
  integer,
  other_number,
  boolean,
  null,
  object,
  array
};

// A span of the event's string arena.
struct span {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
};

// The first byte of a key, checked with its size before the bytes are
// compared: most members then differ without a memcmp.
std::uint8_t first_of(std::string_view key) noexcept {
  return key.empty() ? 0 : static_cast<std::uint8_t>(key.front());
}

// Keys the engine and most handlers look up for every event: their fields
// are found without a scan.
constexpr std::string_view known_keys[] = {
    "type", "subtype", "channel", "user", "ts", "event_ts", "text"};

constexpr std::size_t known_count = std::size(known_keys);

// The slot of `key` among `known_keys`, or `known_count`.
std::size_t known_slot(std::string_view key) noexcept {
  for (std::size_t i = 0; i < known_count; ++i)
    if (key == known_keys[i])
      return i;
  return known_count;
}

constexpr std::uint32_t no_field = UINT32_MAX;

struct field {
  span key;
  kind type = kind::null;
  std::uint8_t first = 0; // first_of(key)
  span text;              // kind::string
  std::int64_t value = 0; // kind::integer, kind::boolean
};

} // namespace

struct event::data {
  std::string text;
  // One allocation, sized exactly: the fields, then the unescaped keys and
  // string values they refer to by spans.
  std::unique_ptr<char[]> block;
  field* fields = nullptr;
  std::uint32_t field_count = 0;
  char* strings = nullptr;
  std::uint32_t strings_size = 0;
  // Where the known keys are in `fields` (the last of duplicates).
  std::array<std::uint32_t, known_count> known;
  span conversation;
  // The Socket Mode envelope the event came in (null for RTM).
  std::shared_ptr<const slackrtm::envelope> env;
  // Built on the first json() call, unless the event was made from a tree.
  std::optional<nlohmann::json> given;
  mutable std::once_flag built;
  mutable nlohmann::json tree;

  std::string_view view(span s) const noexcept {
    return s.size == 0 ? std::string_view{}
                       : std::string_view{strings + s.offset, s.size};
  }

  // Copies `s` into the block (sized for it by `index`).
  span keep(std::string_view s) noexcept {
    span result{strings_size, static_cast<std::uint32_t>(s.size())};
    if (!s.empty())
      std::memcpy(strings + strings_size, s.data(), s.size());
    strings_size += result.size;
    return result;
  }

  // Allocates the block for `n` fields and `chars` bytes of strings.
  void allocate(std::size_t n, std::size_t chars) {
    static_assert(std::is_trivially_copyable_v<field> &&
                  std::is_trivially_destructible_v<field>);
    block.reset(new char[n * sizeof(field) + chars]);
    fields = reinterpret_cast<field*>(block.get());
    strings = block.get() + n * sizeof(field);
  }

  data() { known.fill(no_field); }

  const field* find(std::string_view key) const noexcept {
    if (auto slot = known_slot(key); slot < known_count)
      return known[slot] == no_field ? nullptr : &fields[known[slot]];
    // The last of duplicate keys counts, as in a JSON tree.
    auto first = first_of(key);
    for (auto i = field_count; i-- > 0;) {
      auto& f = fields[i];
      if (f.key.size == key.size() && f.first == first && view(f.key) == key)
        return &f;
    }
    return nullptr;
  }

  // The member `key` when it is of kind `k`.
  const field* find(std::string_view key, kind k) const noexcept {
    auto f = find(key);
    return f && f->type == k ? f : nullptr;
  }

  // The two nested places a conversation id may sit: `channel.id` and
  // `item.channel`.
  static std::optional<std::string_view>
  nested_id(const simdjson::dom::key_value_pair& member) {
    std::string_view id;
    if (member.key == "channel" && !member.value["id"].get_string().get(id))
      return id;
    if (member.key == "item" && !member.value["channel"].get_string().get(id))
      return id;
    return std::nullopt;
  }

  // Indexes the top-level members of `root`; returns false when `root` is
  // not an object.
  bool index(simdjson::dom::element root) {
    simdjson::dom::object members;
    if (root.get_object().get(members))
      return false;
    // First pass: how much the block must hold.
    std::size_t n = 0;
    std::size_t chars = 0;
    for (auto member : members) {
      ++n;
      chars += member.key.size();
      std::string_view text_value;
      if (!member.value.get_string().get(text_value))
        chars += text_value.size();
      else if (auto id = nested_id(member))
        chars += id->size();
    }
    allocate(n, chars);
    std::optional<span> channel_id;
    std::optional<span> item_channel;
    for (auto member : members) {
      field f;
      f.key = keep(member.key);
      f.first = first_of(member.key);
      auto value = member.value;
      switch (value.type()) {
      case simdjson::dom::element_type::STRING:
        f.type = kind::string;
        f.text = keep(value.get_string().value_unsafe());
        break;
      case simdjson::dom::element_type::INT64:
        f.type = kind::integer;
        f.value = value.get_int64().value_unsafe();
        break;
      case simdjson::dom::element_type::UINT64:
      case simdjson::dom::element_type::DOUBLE:
        f.type = kind::other_number;
        break;
      case simdjson::dom::element_type::BOOL:
        f.type = kind::boolean;
        f.value = value.get_bool().value_unsafe() ? 1 : 0;
        break;
      case simdjson::dom::element_type::NULL_VALUE:
        f.type = kind::null;
        break;
      case simdjson::dom::element_type::OBJECT: {
        f.type = kind::object;
        if (auto id = nested_id(member))
          (member.key == "channel" ? channel_id : item_channel) = keep(*id);
        break;
      }
      case simdjson::dom::element_type::ARRAY:
        f.type = kind::array;
        break;
      }
      if (auto slot = known_slot(member.key); slot < known_count)
        known[slot] = field_count;
      new (fields + field_count++) field(f);
    }
    if (auto c = find("channel"); c && c->type == kind::string)
      conversation = c->text;
    else if (channel_id)
      conversation = *channel_id;
    else if (item_channel)
      conversation = *item_channel;
    else if (auto u = find("user"); u && u->type == kind::string)
      conversation = u->text;
    return true;
  }
};

namespace {

// Makes `parser` refuse documents nested deeper than `max_json_depth`
// (simdjson's own default is 1024): handlers copy and dump the event's
// nlohmann tree, which recurses once per level.
// `size`: of the document about to be parsed.
simdjson::dom::parser& bounded(simdjson::dom::parser& parser,
                               std::size_t size) {
  if (parser.max_depth() != max_json_depth) {
    // Out of memory here, the parse below fails with the same error.
    auto err = parser.allocate(
        std::max(size, simdjson::dom::MINIMAL_DOCUMENT_CAPACITY),
        max_json_depth);
    static_cast<void>(err);
  }
  return parser;
}

} // namespace

std::optional<event> event::parse(std::string text, std::string* error) {
  auto d = std::make_shared<data>();
  if (text.capacity() < text.size() + simdjson::SIMDJSON_PADDING)
    text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  d->text = std::move(text);
  thread_local simdjson::dom::parser reused;
  std::optional<simdjson::dom::parser> own;
  auto& parser =
      bounded(d->text.size() <= reused_parser_limit ? reused : own.emplace(),
              d->text.size());
  simdjson::dom::element root;
  if (auto ec = parser.parse(d->text.data(), d->text.size(), false).get(root)) {
    if (error)
      *error = std::string{"not JSON: "} + simdjson::error_message(ec);
    return std::nullopt;
  }
  if (!d->index(root)) {
    if (error)
      *error = "not a JSON object";
    return std::nullopt;
  }
  return event{std::move(d)};
}

event::event(const nlohmann::json& body) {
  auto text = body.dump();
  std::shared_ptr<data> d;
  if (auto parsed = parse(text)) {
    d = std::const_pointer_cast<data>(parsed->data_);
  } else {
    d = std::make_shared<data>();
    d->text = std::move(text);
  }
  d->given = body;
  data_ = std::move(d);
}

bool event::contains(std::string_view key) const noexcept {
  return data_ && data_->find(key) != nullptr;
}

std::optional<std::string_view>
event::get_string(std::string_view key) const noexcept {
  auto f = data_ ? data_->find(key, kind::string) : nullptr;
  return f ? std::optional{data_->view(f->text)} : std::nullopt;
}

std::optional<std::int64_t>
event::get_int(std::string_view key) const noexcept {
  auto f = data_ ? data_->find(key, kind::integer) : nullptr;
  return f ? std::optional{f->value} : std::nullopt;
}

std::optional<bool> event::get_bool(std::string_view key) const noexcept {
  auto f = data_ ? data_->find(key, kind::boolean) : nullptr;
  return f ? std::optional{f->value != 0} : std::nullopt;
}

std::string_view event::conversation() const noexcept {
  return data_ ? data_->view(data_->conversation) : std::string_view{};
}

std::optional<event> event::object(std::string_view key) const {
  if (!data_ || !data_->find(key, kind::object))
    return std::nullopt;
  // The index keeps no nested positions: find the member again (the last
  // of duplicate keys, as the index does) and copy its text out.
  thread_local simdjson::dom::parser reused;
  std::optional<simdjson::dom::parser> own;
  auto& parser = bounded(
      data_->text.size() <= reused_parser_limit ? reused : own.emplace(),
      data_->text.size());
  simdjson::dom::object members;
  if (parser.parse(data_->text.data(), data_->text.size(), false)
          .get_object()
          .get(members))
    return std::nullopt;
  std::optional<simdjson::dom::element> found;
  for (auto member : members)
    if (member.key == key)
      found = member.value;
  if (!found)
    return std::nullopt;
  return parse(simdjson::minify(*found));
}

const slackrtm::envelope* event::envelope() const noexcept {
  return data_ ? data_->env.get() : nullptr;
}

void event::attach(std::shared_ptr<const slackrtm::envelope> env) {
  if (data_)
    std::const_pointer_cast<data>(data_)->env = std::move(env);
}

std::string_view event::raw() const noexcept {
  return data_ ? std::string_view{data_->text} : std::string_view{};
}

const nlohmann::json& event::json() const {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!data_)
    return empty;
  if (data_->given)
    return *data_->given;
  std::call_once(data_->built, [d = data_.get()] {
    // Already validated by simdjson; a disagreement leaves an empty object.
    auto tree = nlohmann::json::parse(d->text, nullptr, false);
    d->tree = tree.is_discarded() ? nlohmann::json::object() : std::move(tree);
  });
  return data_->tree;
}

} // namespace slackrtm
