// SPDX-License-Identifier: GPL-2.0
//
// Constructors of the table's nodes, one per kind of served file.  Only
// file_table.cc registers them.
#pragma once

#include <memory>
#include <string>

#include "emulator/file_table.hpp"

namespace mlc {

// mlcore_files.cc
std::unique_ptr<Node> make_mlcore_device_node(std::string path);
std::unique_ptr<Node> make_mlcore_result_node(std::string path);
std::unique_ptr<Node> make_mlcore_train_node(std::string path);

// ml_lib_files.cc: dev/mllibdev, proc/mllibdev and the class device's
// attributes under device_dir (with ml_model1/control).
void add_ml_lib_nodes(FileTable &t, const std::string &device_dir);

// ml_loop_files.cc: dev/mlloop and sys/class/ml_lib_loop/mlloop/ with the
// model ml_readahead's attributes (docs/closed-loop.md).
void add_ml_loop_nodes(FileTable &t);

// text_files.cc
std::unique_ptr<Node> make_log_file_node(std::string path);
std::unique_ptr<Node> make_dmesg_node(std::string path);
std::unique_ptr<Node> make_kmsg_node(std::string path);

}  // namespace mlc
