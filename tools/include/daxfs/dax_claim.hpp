// SPDX-License-Identifier: GPL-2.0 OR MIT
// A device-DAX device claimed for writing an image (mkdaxfs -D): found through libdaxctl,
// refused while a daxfs mount uses it, mapped writable whole under an exclusive lock.
#pragma once

#include <string>

#include "daxfs/daxdev.hpp"
#include "daxfs/fd.hpp"

namespace daxfs {

// The device @arg names, refused (EBUSY, one line) while a daxfs mount uses its range.
DaxDevice dax_device_for_writing(const std::string &arg);

// Its whole range, mapped writable; EBUSY while another writer holds it.
Mapping claim_dax_device(const DaxDevice &dev);

} // namespace daxfs
