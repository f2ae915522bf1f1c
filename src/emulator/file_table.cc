// SPDX-License-Identifier: GPL-2.0
//
// The table's mechanics and the registry of every served path.  The files
// themselves are in mlcore_files.cc and text_files.cc.
#include "emulator/file_table.hpp"

#include <sys/stat.h>

#include "emulator/served_files.hpp"

namespace mlc {

std::string_view Node::name() const
{
	std::string_view p = path_;
	size_t slash = p.rfind('/');
	return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

mode_t Node::mode() const
{
	switch (type_) {
	case NodeType::Directory:
		return S_IFDIR | perm_;
	case NodeType::CharDevice:
		return S_IFCHR | perm_;
	case NodeType::Regular:
	default:
		return S_IFREG | perm_;
	}
}

std::unique_ptr<OpenFile> Node::open(Instance &, int, const Cred &, int *err) const
{
	*err = type_ == NodeType::Directory ? -EISDIR : -ENODEV;
	return nullptr;
}

std::unique_ptr<OpenFile> Node::attach(Instance &inst, int flags,
				       const Cred &cred) const
{
	int err = 0;
	std::unique_ptr<OpenFile> f = open(inst, flags, cred, &err);
	if (f)
		f->set_releases(false);
	return f;
}

const Node *FileTable::node(Ino ino) const
{
	if (ino < 1 || ino > nodes_.size())
		return nullptr;
	return nodes_[ino - 1].get();
}

std::optional<FileTable::Ino> FileTable::lookup(Ino parent, std::string_view name) const
{
	const Node *dir = node(parent);
	if (!dir || dir->type() != NodeType::Directory || name.empty())
		return std::nullopt;
	std::string want = dir->path().empty() ? std::string(name)
					       : dir->path() + "/" + std::string(name);
	for (size_t i = 0; i < nodes_.size(); i++)
		if (nodes_[i]->path() == want)
			return i + 1;
	return std::nullopt;
}

std::optional<FileTable::Ino> FileTable::resolve(std::string_view path) const
{
	Ino ino = kRootIno;
	while (!path.empty()) {
		size_t slash = path.find('/');
		std::string_view part = path.substr(0, slash);
		path = slash == std::string_view::npos ? std::string_view{}
						       : path.substr(slash + 1);
		if (part.empty())
			continue;
		if (part == "." || part == "..")
			return std::nullopt;	// no traversal, ever
		auto next = lookup(ino, part);
		if (!next)
			return std::nullopt;
		ino = *next;
	}
	return ino;
}

std::vector<FileTable::Ino> FileTable::children(Ino dir) const
{
	std::vector<Ino> out;
	for (size_t i = 0; i < nodes_.size(); i++)
		if (i + 1 != dir && parent(i + 1) == dir)
			out.push_back(i + 1);
	return out;
}

FileTable::Ino FileTable::parent(Ino ino) const
{
	const Node *n = node(ino);
	if (!n || n->path().empty())
		return kRootIno;
	size_t slash = n->path().rfind('/');
	if (slash == std::string::npos)
		return kRootIno;
	return resolve(std::string_view(n->path()).substr(0, slash)).value_or(kRootIno);
}

void FileTable::add(std::unique_ptr<Node> node)
{
	nodes_.push_back(std::move(node));
}

namespace {

std::unique_ptr<Node> dir(std::string path, mode_t perm = 0755)
{
	return std::make_unique<Node>(std::move(path), NodeType::Directory, perm);
}

FileTable build_standard()
{
	FileTable t;
	t.add(dir(""));
	t.add(dir("dev"));
	t.add(make_mlcore_device_node("dev/mlcore"));
	t.add(make_kmsg_node("dev/kmsg"));
	t.add(dir("proc", 0555));
	t.add(make_mlcore_result_node("proc/mlcore_result"));
	t.add(make_mlcore_train_node("proc/mlcore_train"));
	t.add(dir("var"));
	t.add(dir("var/log"));
	t.add(make_log_file_node("var/log/mlcore.log"));
	t.add(make_dmesg_node("dmesg"));

	// ml_lib: the test driver's class device, and /sys/kernel for models
	// without a parent object (none in v1, but the directory exists).
	t.add(dir("sys", 0555));
	t.add(dir("sys/class"));
	t.add(dir("sys/class/ml_lib_test"));
	t.add(dir("sys/class/ml_lib_test/mllibdev"));
	t.add(dir("sys/kernel"));
	add_ml_lib_nodes(t, "sys/class/ml_lib_test/mllibdev");
	add_ml_loop_nodes(t);	// the closed loop: dev/mlloop, sys/class/ml_lib_loop
	return t;
}

}  // namespace

const FileTable &FileTable::standard()
{
	static const FileTable table = build_standard();
	return table;
}

}  // namespace mlc
