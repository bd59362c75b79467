// Package lp solves the linear programs of the disclosure audit with GLPK, the GNU Linear Programming
// Kit (https://www.gnu.org/software/glpk/; Debian package libglpk-dev), through cgo: a sparse
// problem of bounded columns and rows, and the smallest and largest value of one column at a time,
// each solve warm-started from the previous basis by the primal simplex method.
//
// A result can be confirmed in exact rational arithmetic (GLPK's glp_exact, started from the
// optimal basis the floating-point simplex found), for decisions that sit on a boundary.
//
// GLPK keeps its working memory per operating-system thread, so a Problem must be used from one
// goroutine that holds its thread (runtime.LockOSThread) from New to Close.
package lp

/*
#cgo LDFLAGS: -lglpk
#include <stdlib.h>
#include <glpk.h>

static void lp_quiet(void) { glp_term_out(GLP_OFF); }
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Op is the comparison of a row: sum(coef * col) Op rhs.
type Op int

// The comparisons of a row.
const (
	Eq Op = iota // = rhs
	Le           // <= rhs
	Ge           // >= rhs
)

// Status is the outcome of one optimization.
type Status int

// The outcomes of an optimization.
const (
	Optimal    Status = iota // the value is the optimum
	Unbounded                // the objective has no bound in that direction
	Infeasible               // no point satisfies every row and bound
)

func (s Status) String() string {
	switch s {
	case Optimal:
		return "optimal"
	case Unbounded:
		return "unbounded"
	}
	return "infeasible"
}

// Problem is a linear program under construction or being solved.
type Problem struct {
	tid    int // the operating-system thread that created the problem and must use it
	prob   *C.glp_prob
	cols   int
	rows   int
	parm   C.glp_smcp
	objCol int // the column whose objective coefficient is 1, 0 for none (1-based), -1 after Minimize
}

// New returns a problem with cols columns, each with bounds [0, +inf) until SetBounds.
func New(cols int) (*Problem, error) {
	if cols < 1 || cols > math.MaxInt32 {
		return nil, fmt.Errorf("lp: %d columns", cols)
	}
	C.lp_quiet()
	p := &Problem{tid: unix.Gettid(), prob: C.glp_create_prob(), cols: cols}
	C.glp_add_cols(p.prob, C.int(cols))
	for j := 1; j <= cols; j++ {
		C.glp_set_col_bnds(p.prob, C.int(j), C.GLP_LO, 0, 0)
	}
	C.glp_init_smcp(&p.parm)
	p.parm.msg_lev = C.GLP_MSG_OFF
	p.parm.meth = C.GLP_PRIMAL
	p.parm.presolve = C.GLP_OFF // a presolved problem keeps no basis to warm-start from
	return p, nil
}

// errThread is the error of a call from another thread than the problem's: GLPK would abort the
// process (its memory is per thread), so the call is refused instead.
var errThread = errors.New("lp: a problem used from another thread than the one that created it (hold it with runtime.LockOSThread)")

// onThread reports whether the caller runs on the problem's thread.
func (p *Problem) onThread() bool { return unix.Gettid() == p.tid }

// Close frees the problem. It must run on the problem's thread; elsewhere the problem's memory is
// left to the process (GLPK cannot free it from another thread).
func (p *Problem) Close() {
	if p.prob != nil && p.onThread() {
		C.glp_delete_prob(p.prob)
		p.prob = nil
	}
}

// SetBounds bounds column col (0-based) to [lo, hi]; math.Inf(1) leaves it unbounded above.
func (p *Problem) SetBounds(col int, lo, hi float64) error {
	if !p.onThread() {
		return errThread
	}
	if col < 0 || col >= p.cols {
		return fmt.Errorf("lp: column %d of %d", col, p.cols)
	}
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || lo > hi {
		return fmt.Errorf("lp: bounds [%v, %v] of column %d", lo, hi, col)
	}
	j := C.int(col + 1)
	switch {
	case math.IsInf(hi, 1):
		C.glp_set_col_bnds(p.prob, j, C.GLP_LO, C.double(lo), 0)
	case lo == hi:
		C.glp_set_col_bnds(p.prob, j, C.GLP_FX, C.double(lo), C.double(hi))
	default:
		C.glp_set_col_bnds(p.prob, j, C.GLP_DB, C.double(lo), C.double(hi))
	}
	return nil
}

// AddRow adds the row sum(coefs[i] * cols[i]) op rhs; cols are 0-based and distinct.
func (p *Problem) AddRow(cols []int, coefs []float64, op Op, rhs float64) error {
	if !p.onThread() {
		return errThread
	}
	if len(cols) == 0 || len(cols) != len(coefs) {
		return errors.New("lp: a row needs as many coefficients as columns, and at least one")
	}
	ind := (*[1 << 28]C.int)(C.malloc(C.size_t(len(cols)+1) * C.size_t(unsafe.Sizeof(C.int(0)))))[: len(cols)+1 : len(cols)+1]
	val := (*[1 << 28]C.double)(C.malloc(C.size_t(len(cols)+1) * C.size_t(unsafe.Sizeof(C.double(0)))))[: len(cols)+1 : len(cols)+1]
	defer C.free(unsafe.Pointer(&ind[0]))
	defer C.free(unsafe.Pointer(&val[0]))
	seen := make(map[int]bool, len(cols))
	for i, c := range cols {
		if c < 0 || c >= p.cols || seen[c] || math.IsNaN(coefs[i]) || math.IsInf(coefs[i], 0) {
			return fmt.Errorf("lp: row term %d (column %d, coefficient %v) is not valid", i, c, coefs[i])
		}
		seen[c] = true
		ind[i+1], val[i+1] = C.int(c+1), C.double(coefs[i])
	}
	if math.IsNaN(rhs) || math.IsInf(rhs, 0) {
		return fmt.Errorf("lp: right-hand side %v", rhs)
	}
	i := C.glp_add_rows(p.prob, 1)
	C.glp_set_mat_row(p.prob, i, C.int(len(cols)), &ind[0], &val[0])
	switch op {
	case Eq:
		C.glp_set_row_bnds(p.prob, i, C.GLP_FX, C.double(rhs), C.double(rhs))
	case Le:
		C.glp_set_row_bnds(p.prob, i, C.GLP_UP, 0, C.double(rhs))
	case Ge:
		C.glp_set_row_bnds(p.prob, i, C.GLP_LO, C.double(rhs), 0)
	default:
		return fmt.Errorf("lp: comparison %d", op)
	}
	p.rows++
	return nil
}

// Optimize returns the smallest (maximize false) or largest value of column col subject to every row
// and bound, warm-started from the last basis. With exact, the optimum is confirmed in rational
// arithmetic and returned as the double nearest to it.
func (p *Problem) Optimize(col int, maximize, exact bool) (float64, Status, error) {
	if !p.onThread() {
		return 0, Infeasible, errThread
	}
	if col < 0 || col >= p.cols {
		return 0, Infeasible, fmt.Errorf("lp: column %d of %d", col, p.cols)
	}
	if p.objCol < 0 {
		for j := 1; j <= p.cols; j++ {
			C.glp_set_obj_coef(p.prob, C.int(j), 0)
		}
		p.objCol = 0
	}
	if p.objCol != col+1 {
		if p.objCol > 0 {
			C.glp_set_obj_coef(p.prob, C.int(p.objCol), 0)
		}
		C.glp_set_obj_coef(p.prob, C.int(col+1), 1)
		p.objCol = col + 1
	}
	dir := C.int(C.GLP_MIN)
	if maximize {
		dir = C.GLP_MAX
	}
	C.glp_set_obj_dir(p.prob, dir)
	if p.rows == 0 {
		// GLPK needs a row to factorize; a column with no row is at one of its bounds.
		return p.bound(col, maximize)
	}
	if rc := C.glp_simplex(p.prob, &p.parm); rc != 0 {
		// A basis the previous problem left may be singular for this one: start afresh.
		C.glp_std_basis(p.prob)
		if rc = C.glp_simplex(p.prob, &p.parm); rc != 0 {
			return 0, Infeasible, fmt.Errorf("lp: the simplex method failed (GLPK code %d)", int(rc))
		}
	}
	st, err := p.status()
	if err != nil || st != Optimal {
		return 0, st, err
	}
	if exact {
		if rc := C.glp_exact(p.prob, &p.parm); rc != 0 {
			return 0, Infeasible, fmt.Errorf("lp: the exact simplex method failed (GLPK code %d)", int(rc))
		}
		if st, err = p.status(); err != nil || st != Optimal {
			return 0, st, err
		}
	}
	return float64(C.glp_get_obj_val(p.prob)), Optimal, nil
}

// Minimize returns the smallest value of sum(coefs[j] * column j) subject to every row and bound,
// from a fresh basis; Value then gives the optimal point.
func (p *Problem) Minimize(coefs []float64) (float64, Status, error) {
	if !p.onThread() {
		return 0, Infeasible, errThread
	}
	if len(coefs) != p.cols {
		return 0, Infeasible, fmt.Errorf("lp: %d objective coefficients for %d columns", len(coefs), p.cols)
	}
	for j, c := range coefs {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return 0, Infeasible, fmt.Errorf("lp: objective coefficient %v of column %d", c, j)
		}
		C.glp_set_obj_coef(p.prob, C.int(j+1), C.double(c))
	}
	p.objCol = -1 // every coefficient is set: Optimize must clear them
	C.glp_set_obj_dir(p.prob, C.GLP_MIN)
	if p.rows == 0 {
		return 0, Infeasible, errors.New("lp: a problem without rows")
	}
	// A fresh solve: GLPK's presolver shrinks the problem first (it keeps no basis, which a
	// single solve does not need).
	parm := p.parm
	parm.presolve = C.GLP_ON
	parm.meth = C.GLP_DUALP
	switch rc := C.glp_simplex(p.prob, &parm); rc {
	case 0:
	case C.GLP_ENOPFS: // the presolver found no feasible point
		return 0, Infeasible, nil
	case C.GLP_ENODFS: // nor a bound on the objective
		return 0, Unbounded, nil
	default:
		return 0, Infeasible, fmt.Errorf("lp: the simplex method failed (GLPK code %d)", int(rc))
	}
	st, err := p.status()
	if err != nil || st != Optimal {
		return 0, st, err
	}
	return float64(C.glp_get_obj_val(p.prob)), Optimal, nil
}

// Value returns column col's value in the solution the last Optimize found.
func (p *Problem) Value(col int) float64 {
	if col < 0 || col >= p.cols || !p.onThread() {
		return math.NaN()
	}
	return float64(C.glp_get_col_prim(p.prob, C.int(col+1)))
}

func (p *Problem) status() (Status, error) {
	switch C.glp_get_status(p.prob) {
	case C.GLP_OPT:
		return Optimal, nil
	case C.GLP_UNBND:
		return Unbounded, nil
	case C.GLP_NOFEAS, C.GLP_INFEAS:
		return Infeasible, nil
	}
	return Infeasible, fmt.Errorf("lp: the simplex method ended undecided (GLPK status %d)", int(C.glp_get_status(p.prob)))
}

// bound answers an optimization over a problem without rows from the column's bounds.
func (p *Problem) bound(col int, maximize bool) (float64, Status, error) {
	j := C.int(col + 1)
	if maximize {
		if C.glp_get_col_type(p.prob, j) == C.GLP_LO {
			return 0, Unbounded, nil
		}
		return float64(C.glp_get_col_ub(p.prob, j)), Optimal, nil
	}
	return float64(C.glp_get_col_lb(p.prob, j)), Optimal, nil
}
