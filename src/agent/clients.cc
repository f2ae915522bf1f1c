// SPDX-License-Identifier: GPL-2.0
#include "agent/clients.hpp"

#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace mlc::agent {

namespace {

std::string read_text(const Root &root, std::string_view rel)
{
	return read_file(root.path(rel));
}

}  // namespace

// --- mlcore -----------------------------------------------------------------------

MlcoreClient::MlcoreClient(Root root, int flags)
	: root_(std::move(root)), fd_(Fd::open(root_.path(kMlcoreDev), flags))
{
}

void MlcoreClient::send_features(const Features &features)
{
	int32_t buf[MLCORE_NUM_FEATURES];
	std::memcpy(buf, features.data(), sizeof(buf));
	fd_.ioctl(IOCTL_SEND_INTS, buf);
}

void MlcoreClient::set_result(int32_t result)
{
	fd_.ioctl(IOCTL_SET_RESULT, &result);
}

int32_t MlcoreClient::get_result()
{
	constexpr uint32_t kGuard = 0x5a5aa5a5u;
	struct {
		int32_t value;
		uint32_t guard;
	} buf = {0, kGuard};
	static_assert(sizeof(buf) == 8 && offsetof(decltype(buf), value) == 0);
	// The whole struct's address: the ioctl may (wrongly) touch all 8.
	fd_.ioctl(IOCTL_GET_RESULT, static_cast<void *>(&buf));
	if (buf.guard != kGuard)
		throw ProtocolError("IOCTL_GET_RESULT wrote more than the 4 bytes of "
				    "an int (the number encodes 8; the driver copies 4)");
	return buf.value;
}

void MlcoreClient::add_training(const train_entry &entry)
{
	train_entry e = entry;
	fd_.ioctl(IOCTL_ADD_TRAINING, &e);
}

void MlcoreClient::add_training(const Features &features, int32_t label)
{
	train_entry e{};
	for (int i = 0; i < MLCORE_NUM_FEATURES; i++)
		e.features[i] = features[i];
	e.label = label;
	add_training(e);
}

void MlcoreClient::clear_training()
{
	fd_.ioctl(IOCTL_CLEAR_TRAINING, nullptr);
}

std::vector<TrainingRow> MlcoreClient::read_training() const
{
	return parse_training(read_text(root_, kMlcoreTrain));
}

ResultReport MlcoreClient::read_result_history() const
{
	return parse_result(read_text(root_, kMlcoreResult));
}

// --- ml_lib ------------------------------------------------------------------------

MlLibClient::MlLibClient(Root root) : root_(std::move(root)) {}

size_t MlLibClient::control(std::string_view cmd)
{
	return write_file_once(root_.path(kMlLibControl), cmd);
}

Fd &MlLibClient::device(int flags)
{
	if (!dev_)
		dev_ = Fd::open(root_.path(kMlLibDev), flags);
	return dev_;
}

std::vector<std::byte> MlLibClient::read_dataset()
{
	Fd &f = device();
	f.lseek(0, SEEK_SET);
	std::vector<std::byte> out;
	std::byte buf[ML_LIB_TEST_BUFFER_SIZE];
	for (;;) {
		size_t n = f.read(buf);
		if (n == 0)
			return out;
		if (n > sizeof(buf) || out.size() + n > ML_LIB_TEST_BUFFER_SIZE)
			throw ProtocolError("mllibdev: more data than the 1024-byte buffer");
		out.insert(out.end(), buf, buf + n);
	}
}

size_t MlLibClient::write_recommendations(std::span<const std::byte> data, off_t offset)
{
	Fd &f = device();
	f.lseek(offset, SEEK_SET);
	return f.write(data);
}

void MlLibClient::reset()
{
	device().ioctl(ML_LIB_TEST_IOCRESET, nullptr);
}

int MlLibClient::get_size()
{
	int size = 0;
	device().ioctl(ML_LIB_TEST_IOCGETSIZE, &size);
	return size;
}

void MlLibClient::set_size(int size)
{
	device().ioctl(ML_LIB_TEST_IOCSETSIZE, &size);
}

std::string MlLibClient::attr_path(std::string_view name) const
{
	return root_.path(std::string(kMlLibClassDev) + "/" + std::string(name));
}

uint64_t MlLibClient::buffer_size() const
{
	return parse_uint_attr(read_file(attr_path("buffer_size")), "buffer_size");
}

uint64_t MlLibClient::data_size() const
{
	return parse_uint_attr(read_file(attr_path("data_size")), "data_size");
}

uint64_t MlLibClient::access_count() const
{
	return parse_uint_attr(read_file(attr_path("access_count")), "access_count");
}

MlLibStats MlLibClient::stats() const
{
	return parse_ml_lib_stats(read_file(attr_path("stats")));
}

std::string MlLibClient::dev_numbers() const
{
	std::string t = read_file(attr_path("dev"));
	size_t colon = t.find(':');
	if (t.empty() || t.back() != '\n' || colon == std::string::npos ||
	    !parse_uint(std::string_view(t).substr(0, colon)) ||
	    !parse_uint(std::string_view(t).substr(colon + 1, t.size() - colon - 2)))
		throw ProtocolError("mllibdev dev attribute: expected 'MAJ:MIN\\n', got '" +
				    t + "'");
	t.pop_back();
	return t;
}

KeyValues MlLibClient::proc_info() const
{
	// The second line is a rule of '=' with no colon: skip the two header
	// lines, then key-value pairs.
	std::string t = read_text(root_, kMlLibProc);
	size_t pos = 0;
	for (int i = 0; i < 2; i++) {
		pos = t.find('\n', pos);
		if (pos == std::string::npos)
			throw ProtocolError("/proc/mllibdev: fewer than two header lines");
		pos++;
	}
	return parse_key_values(std::string_view(t).substr(pos));
}

// --- the closed loop -------------------------------------------------------------------

MlLoopClient::MlLoopClient(Root root) : root_(std::move(root)) {}

std::string MlLoopClient::model_path(std::string_view name) const
{
	return root_.path(std::string(kMlLoopModel) + "/" + std::string(name));
}

size_t MlLoopClient::control(std::string_view cmd)
{
	return write_file_once(model_path("control"), cmd);
}

void MlLoopClient::step(unsigned n)
{
	control("step " + std::to_string(n));
}

Fd &MlLoopClient::device()
{
	if (!dev_)
		dev_ = Fd::open(root_.path(kMlLoopDev), O_RDWR);
	return dev_;
}

uint32_t MlLoopClient::pending()
{
	__u32 n = 0;
	device().ioctl(ML_LOOP_IOCPENDING, &n);
	return n;
}

std::vector<LoopRecord> MlLoopClient::read_records(size_t max_records)
{
	if (max_records == 0)
		return {};
	std::vector<std::byte> buf(max_records * ML_LOOP_RECORD_SIZE);
	size_t n = device().read(buf);
	if (n > buf.size())
		throw ProtocolError("mlloop: read returned more than asked");
	return decode_records(std::span<const std::byte>(buf.data(), n));
}

std::vector<LoopRecord> MlLoopClient::drain()
{
	std::vector<LoopRecord> all;
	for (;;) {
		auto part = read_records();
		if (part.empty())
			return all;
		all.insert(all.end(), part.begin(), part.end());
	}
}

void MlLoopClient::write_recommendation(uint32_t window, uint32_t confidence_permille,
					uint64_t epoch)
{
	RecordBytes rec = encode_record(RecommendationRecord{epoch, window, confidence_permille});
	size_t n = device().write(rec);
	if (n != rec.size())
		throw ProtocolError("mlloop: a recommendation write took " +
				    std::to_string(n) + " of 64 bytes");
}

void MlLoopClient::write_policy(const PolicyTree &tree, uint64_t epoch)
{
	std::vector<std::byte> recs = encode_policy(tree, epoch);
	size_t n = device().write(recs);
	if (n != recs.size())
		throw ProtocolError("mlloop: a policy write took " + std::to_string(n) + " of " +
				    std::to_string(recs.size()) + " bytes");
}

size_t MlLoopClient::write_raw(std::span<const std::byte> bytes, std::error_code &ec)
{
	Fd &f = device();
	return f.write(bytes, ec);
}

ml_lib_model_mode MlLoopClient::mode() const
{
	std::string t = read_file(model_path("mode"));
	auto m = parse_mode(t);
	if (!m)
		throw ProtocolError("ml_readahead/mode: unexpected '" + t + "'");
	return *m;
}

ml_lib_model_state MlLoopClient::state() const
{
	std::string t = read_file(model_path("state"));
	auto s = parse_state(t);
	if (!s)
		throw ProtocolError("ml_readahead/state: unexpected '" + t + "'");
	return *s;
}

uint32_t MlLoopClient::efficiency_milli() const
{
	std::string t = read_file(model_path("efficiency"));
	auto e = parse_efficiency(t);
	if (!e)
		throw ProtocolError("ml_readahead/efficiency: unexpected '" + t + "'");
	return *e;
}

LoopStats MlLoopClient::stats() const
{
	return parse_loop_stats(read_file(model_path("stats")));
}

}  // namespace mlc::agent
