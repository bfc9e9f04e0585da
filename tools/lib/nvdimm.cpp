// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/nvdimm.hpp"

#include <climits>
#include <daxctl/libdaxctl.h>
#include <memory>
#include <ndctl/libndctl.h>

namespace daxfs {

namespace {

struct CtxUnref {
    void operator()(ndctl_ctx *c) const { ndctl_unref(c); }
};

std::uint64_t known(unsigned long long v) { return v == ULLONG_MAX ? 0 : v; }

// The character device of a devdax namespace: the one device of its dax region with a size.
std::string dax_chardev(ndctl_dax *dax) {
    daxctl_region *region = ndctl_dax_get_daxctl_region(dax);
    if (!region)
        return {};
    daxctl_dev *dev;
    daxctl_dev_foreach(region, dev) {
        if (daxctl_dev_get_size(dev))
            return daxctl_dev_get_devname(dev);
    }
    return {};
}

Namespace describe(ndctl_namespace *ndns) {
    Namespace n;
    n.name = ndctl_namespace_get_devname(ndns);
    n.start = known(ndctl_namespace_get_resource(ndns));
    if (ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns)) {
        n.mode = "fsdax";
        const char *bdev = ndctl_pfn_get_block_device(pfn);
        n.device = bdev ? bdev : "";
        n.size = ndctl_pfn_get_size(pfn);
        n.align = ndctl_pfn_get_align(pfn);
    } else if (ndctl_dax *dax = ndctl_namespace_get_dax(ndns)) {
        n.mode = "devdax";
        n.device = dax_chardev(dax);
        n.size = ndctl_dax_get_size(dax);
        n.align = ndctl_dax_get_align(dax);
    } else if (ndctl_btt *btt = ndctl_namespace_get_btt(ndns)) {
        n.mode = "sector";
        const char *bdev = ndctl_btt_get_block_device(btt);
        n.device = bdev ? bdev : "";
        n.size = ndctl_namespace_get_size(ndns);
    } else {
        n.mode = "raw";
        const char *bdev = ndctl_namespace_get_block_device(ndns);
        n.device = bdev ? bdev : "";
        n.size = ndctl_namespace_get_size(ndns);
    }
    return n;
}

} // namespace

std::vector<NvdimmRegion> nvdimm_regions() {
    std::vector<NvdimmRegion> out;
    ndctl_ctx *raw = nullptr;
    if (ndctl_new(&raw) < 0)
        return out;
    std::unique_ptr<ndctl_ctx, CtxUnref> ctx(raw);
    ndctl_set_log_priority(raw, 0);
    ndctl_bus *bus;
    ndctl_bus_foreach(raw, bus) {
        ndctl_region *region;
        ndctl_region_foreach(bus, region) {
            NvdimmRegion r;
            r.name = ndctl_region_get_devname(region);
            r.type = ndctl_region_get_type_name(region);
            r.start = known(ndctl_region_get_resource(region));
            r.size = ndctl_region_get_size(region);
            ndctl_namespace *ndns;
            ndctl_namespace_foreach(region, ndns) {
                if (ndctl_namespace_is_active(ndns))
                    r.namespaces.push_back(describe(ndns));
            }
            out.push_back(std::move(r));
        }
    }
    return out;
}

} // namespace daxfs
