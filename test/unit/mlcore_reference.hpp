// SPDX-License-Identifier: GPL-2.0
//
// An independent reference of the mlcore driver, written from ABI.md and
// the posted driver without looking at how the core formats anything:
// 64-bit std::div for fixed point, gmtime_r for the calendar, std::deque
// for the history ring, std::vector for the training store.
#pragma once

#include <ctime>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

extern "C" {
#include "core/mlcore_dev.h"
}

namespace mlc::test {

// "%d.%02d" of v / 100 and abs(v % 100), the driver's fixed point,
// sign loss for (-100, 0) included.
inline std::string ref_fixed(int32_t v)
{
	const auto d = std::div(static_cast<int64_t>(v), int64_t{100});
	const int64_t frac = std::abs(d.rem);
	return std::to_string(d.quot) + (frac < 10 ? ".0" : ".") +
	       std::to_string(frac);
}

// "YYYY-MM-DD HH:MM:SS" in UTC (years 1000..9999).
inline std::string ref_utc(int64_t sec)
{
	time_t t = static_cast<time_t>(sec);
	struct tm tm {};
	gmtime_r(&t, &tm);
	char buf[32];
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

inline std::string ref_features(const int32_t (&f)[3])
{
	return ref_fixed(f[0]) + " " + ref_fixed(f[1]) + " " + ref_fixed(f[2]);
}

inline std::string ref_train_line(size_t index, const train_entry &e)
{
	return "[" + std::to_string(index) + "]: " + ref_features(e.features) +
	       " => " + std::to_string(e.label) + "\n";
}

struct RefPrediction {
	int32_t value;
	int64_t sec;
};

class ReferenceMlcore {
public:
	static constexpr size_t kHistory = 10;
	static constexpr size_t kTraining = 50;

	void send_ints(const int32_t (&f)[3])
	{
		for (int i = 0; i < 3; i++)
			features[i] = f[i];
		klog.push_back("<6>[mlcore] Received features: " +
			       ref_features(f));
	}

	// hist_sec: the clock at the history push; file_sec: at the log line.
	void set_result(int32_t value, int64_t hist_sec, int64_t file_sec)
	{
		latest = value;
		history.push_back({value, hist_sec});
		if (history.size() > kHistory)
			history.pop_front();
		logfile += ref_utc(file_sec) + " - Prediction: " +
			   std::to_string(value) + "\n";
		klog.push_back("<6>[mlcore] Prediction set: " +
			       std::to_string(value));
	}

	void add_training(const train_entry &e)
	{
		if (training.size() >= kTraining) {
			klog.push_back("<4>[mlcore] Training buffer full!");
			return;
		}
		training.push_back(e);
		klog.push_back("<6>[mlcore] Training data added: " +
			       ref_features(e.features) + " => " +
			       std::to_string(e.label));
	}

	void clear_training()
	{
		training.clear();
		klog.push_back("<6>[mlcore] Training buffer cleared");
	}

	std::string result_text() const
	{
		std::string s = "Current Prediction: " + std::to_string(latest) +
				"\nPrediction History (latest " +
				std::to_string(history.size()) + "):\n";
		for (size_t i = 0; i < history.size(); i++)
			s += " [" + std::to_string(i) + "]: " +
			     std::to_string(history[i].value) + " at " +
			     ref_utc(history[i].sec) + "\n";
		return s;
	}

	std::string train_text() const
	{
		std::string s;
		for (size_t i = 0; i < training.size(); i++)
			s += ref_train_line(i, training[i]);
		return s;
	}

	std::vector<std::string> take_klog()
	{
		std::vector<std::string> out;
		out.swap(klog);
		return out;
	}

	int32_t latest = -1;
	std::array<int32_t, 3> features{};
	std::deque<RefPrediction> history;
	std::vector<train_entry> training;
	std::vector<std::string> klog;	// lines not yet taken
	std::string logfile;
};

}  // namespace mlc::test
